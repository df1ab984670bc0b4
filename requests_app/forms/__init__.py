"""Forms: validate and render, nothing else.

``ServiceRequestForm`` (in ``filing``) is the single validator of a service's field values, for the
web and the API alike; ``QueueFilterForm`` is the single validator of queue filters, for the queue
page, saved views and the API.
"""

from .filing import (
    CatalogSearchForm,
    MultipleFileField,
    MultipleFileInput,
    ServiceRequestForm,
    validate_attachment,
)
from .queue import BulkForm, QueueFilterForm, SavedViewForm
from .request_page import (
    AssignForm,
    PriorityForm,
    PromiseForm,
    ReplyForm,
    ResolveForm,
    StatusForm,
    TransferForm,
    WatcherForm,
)

__all__ = [
    "AssignForm",
    "BulkForm",
    "CatalogSearchForm",
    "MultipleFileField",
    "MultipleFileInput",
    "PriorityForm",
    "PromiseForm",
    "QueueFilterForm",
    "ReplyForm",
    "ResolveForm",
    "SavedViewForm",
    "ServiceRequestForm",
    "StatusForm",
    "TransferForm",
    "WatcherForm",
    "validate_attachment",
]
