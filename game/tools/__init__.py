"""Author and player tools; each module may add a subcommand through `register_command`."""
