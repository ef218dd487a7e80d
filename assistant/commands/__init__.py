"""One module per ``backcoach`` sub-command; see ``assistant.cli``."""
