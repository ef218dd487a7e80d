"""Back Coach: an offline, hands-free voice coach for McKenzie-style back exercises."""

from .errors import AssistantError

__version__ = "0.1.0"
__all__ = ["AssistantError", "__version__"]
