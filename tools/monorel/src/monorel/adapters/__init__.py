"""One module per external tool, so each tool's quirks live in one place."""
