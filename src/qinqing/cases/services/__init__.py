"""Every write to a case: intake, the moves of the transition table, attachments, the
reporters' protection, API tokens.

One function per use case, one transaction each, and a timeline event appended in the
same transaction (through qinqing.cases.timeline, which then sends the `case_changed`
hook: every consequence of a change in other apps happens there). Views and the API call
these; nothing else changes a case.

The modules, by concern (callers use the names exported here: `services.perform(...)`):

- intake: `create_case` and the cleaning of what intake sends;
- moves: `perform`, one move of the transition table; handlers: what each move does;
- case_numbers: the case numbers (the "case" series of qinqing.cases.numbering);
- attachments: `add_attachment`, `check_upload` and `attach_from_reporter` (the public
  portal's files), `file_document`;
- reporters: `unmask_reporters`, `reclassify_report`, `rotate_keys`;
- holidays: `recompute_provisional_deadlines` when a year's holidays are entered;
- tokens: `issue_token`, `revoke_tokens`.
"""

from qinqing.cases.services.attachments import (
    ATTACHMENT_ROLES, ATTACHMENT_TYPES, Upload, add_attachment, attach_from_reporter,
    check_upload, file_document, files_removed_on_failure,
)
from qinqing.cases.services.holidays import recompute_provisional_deadlines
from qinqing.cases.services.intake import (
    EDITABLE_FIELDS, FINDING_ROLES, INTAKE_ROLES, Intake, case_received, create_case,
    # Used by imports (a retry's fingerprint) and by tests of the master-data cache.
    _category, _fingerprint, _unit,
)
from qinqing.cases.services.moves import perform, validate_payload
from qinqing.cases.services.reporters import reclassify_report, rotate_keys, unmask_reporters
from qinqing.cases.services.tokens import issue_token, revoke_tokens

__all__ = [
    "ATTACHMENT_ROLES", "ATTACHMENT_TYPES", "EDITABLE_FIELDS", "FINDING_ROLES", "INTAKE_ROLES",
    "Intake", "Upload", "add_attachment", "attach_from_reporter", "case_received",
    "check_upload", "create_case", "file_document", "files_removed_on_failure", "issue_token",
    "perform",
    "recompute_provisional_deadlines", "reclassify_report", "revoke_tokens", "rotate_keys",
    "validate_payload",
    "unmask_reporters",
]
