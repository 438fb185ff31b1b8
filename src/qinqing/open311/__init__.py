"""Open311 GeoReport v2: the city's matters for third-party apps (a channel of the pipeline).

`/open311/discovery.json` and `/open311/v2/…`: the service list and service definitions
from the category tree, `POST requests` with an API key (the key's owner is the account
that registers the case, on the web channel), `GET requests`, `GET requests/{id}` and
`tokens/{token}`, each as JSON or XML. docs/open311.md says what is published and why.
"""
