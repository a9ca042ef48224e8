"""One module per ``monorel`` subcommand; each is thin and works on the shared workspace model."""
