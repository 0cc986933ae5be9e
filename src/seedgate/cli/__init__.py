"""The local edge: one module per subcommand, the parser and its words in args.py."""
