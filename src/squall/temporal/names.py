"""The names squall and its workers agree on: defaults and environment variables.

Nothing here imports temporalio.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ADDRESS",
    "DEFAULT_NAMESPACE",
    "DEFAULT_TASK_QUEUE",
    "ENCRYPTED_ENCODING",
    "ENV_ADDRESS",
    "ENV_API_KEY",
    "ENV_KEY",
    "ENV_KEY_FILE",
    "ENV_NAMESPACE",
    "ENV_TASK_QUEUE",
    "ENV_TLS",
    "ENV_TLS_CA",
    "ENV_TLS_CERT",
    "ENV_TLS_KEY",
    "ENV_TLS_SERVER_NAME",
    "KEY_ID_METADATA",
    "SETTINGS_SECTION",
    "WORKFLOW_NAME",
]

#: the Temporal frontend squall talks to unless told otherwise
DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
#: the task queue workers poll and runs are started on unless told otherwise
DEFAULT_TASK_QUEUE = "squall"
#: the workflow type of one experiment run
WORKFLOW_NAME = "squall-experiment"

ENV_ADDRESS = "SQUALL_TEMPORAL_ADDRESS"
ENV_NAMESPACE = "SQUALL_TEMPORAL_NAMESPACE"
ENV_TASK_QUEUE = "SQUALL_TEMPORAL_TASK_QUEUE"
#: true/false (squall.experiment.booleans): TLS with the system's CAs unless a CA is given
ENV_TLS = "SQUALL_TEMPORAL_TLS"
ENV_TLS_CERT = "SQUALL_TEMPORAL_TLS_CERT"
ENV_TLS_KEY = "SQUALL_TEMPORAL_TLS_KEY"
ENV_TLS_CA = "SQUALL_TEMPORAL_TLS_CA"
ENV_TLS_SERVER_NAME = "SQUALL_TEMPORAL_TLS_SERVER_NAME"
#: an API key (Temporal Cloud and other servers that take one); never a command-line flag
ENV_API_KEY = "SQUALL_TEMPORAL_API_KEY"
#: payload encryption keys: base64 of 32 bytes each, comma-separated; the first encrypts
ENV_KEY = "SQUALL_TEMPORAL_KEY"
#: a file of payload keys, one base64 key a line (``#`` comments); the first encrypts
ENV_KEY_FILE = "SQUALL_TEMPORAL_KEY_FILE"

#: the settings file's section (``temporal.address``, ``temporal.key_file``, ...)
SETTINGS_SECTION = "temporal"

#: the ``encoding`` metadata of a payload squall encrypted, and the key id's metadata key
ENCRYPTED_ENCODING = b"binary/squall-encrypted"
KEY_ID_METADATA = "squall-key-id"
