"""PowerShell errors of a simulated host: ``PSError`` and the exception types and Win32 codes it uses."""

from __future__ import annotations

# Win32 error codes the simulated WTS calls fail with, and their system messages.
ERROR_ACCESS_DENIED = 5
ERROR_INVALID_PARAMETER = 87
ERROR_CTX_WINSTATION_NOT_FOUND = 7022
WIN32_MESSAGES = {
    ERROR_ACCESS_DENIED: "Access is denied",
    ERROR_INVALID_PARAMETER: "The parameter is incorrect",
    ERROR_CTX_WINSTATION_NOT_FOUND: "The specified session cannot be found",
}

# The category PowerShell gives an exception a cmdlet throws (ErrorRecord from an exception).
ITEM_NOT_FOUND = "System.Management.Automation.ItemNotFoundException"
UNAUTHORIZED = "System.UnauthorizedAccessException"
TIMEOUT = "System.TimeoutException"
INVALID_OPERATION = "System.InvalidOperationException"
WIN32_EXCEPTION = "System.ComponentModel.Win32Exception"
TIMEOUT_MESSAGE = "The operation has timed out."
UNAUTHORIZED_MESSAGE = "Attempted to perform an unauthorized operation."


class PSError(Exception):
    """A PowerShell error: an exception with the parts of its ErrorRecord the callers need."""

    def __init__(
        self,
        type_name: str,
        message: str,
        category: str,
        fqid: str | None,
        *,
        activity: str = "",
        target: object = None,
        win32: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.type_name = type_name  # .NET exception type
        self.message = message
        self.category = category  # CategoryInfo.Category
        self.fqid = fqid  # FullyQualifiedErrorId
        self.activity = activity  # CategoryInfo.Activity: the command that failed
        self.target = target  # ErrorRecord.TargetObject
        self.win32 = win32  # NativeErrorCode of a Win32Exception
        # CategoryInfo.Reason: the exception's short type name unless PowerShell shows another
        self.reason = reason or type_name.rsplit(".", 1)[-1]
