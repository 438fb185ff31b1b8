"""A third-party Open311 client from PyPI (georeport) reads a live Qinqing server."""

from __future__ import annotations

import pytest
import requests as http
from georeport import GeoReport

from qinqing.cases import services
from tests.open311.conftest import MATTER, SERVICE


# A live server answers from another thread: the rows must be committed. serialized_rollback
# puts back the categories the migrations load, which the flush after the test removes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_georeport_lists_services_reads_a_definition_and_requests(live_server, users):
    key = services.issue_token(users["intake"])

    filed = http.post(f"{live_server.url}/open311/v2/requests.json",
                      data={"api_key": key, **MATTER}, timeout=30)
    assert filed.status_code == 201, filed.text
    number = filed.json()[0]["service_request_id"]

    for fmt in ("json", "xml"):
        _read_with_georeport(live_server.url, fmt, number)


def _read_with_georeport(url: str, fmt: str, number: str) -> None:
    client = GeoReport(f"{url}/open311/v2", output_format=fmt)
    listed = client.get_service_list()
    assert SERVICE in {s["service_code"] for s in listed}
    definition = client.get_service_definition(SERVICE)
    codes = [a["code"] for a in (definition["attributes"]["attribute"] if fmt == "xml"
                                 else definition["attributes"])]
    assert codes == ["kind", "title", "region", "enterprise_name"]
    requested = client.get_service_requests(status="open")
    # xmltodict reads a list of one as the element itself.
    requested = [requested] if isinstance(requested, dict) else requested
    assert [r["service_request_id"] for r in requested] == [number]
    one = client.get_service_request(number)
    one = one[0] if isinstance(one, list) else one
    assert one["service_request_id"] == number and one["status"] == "open"
