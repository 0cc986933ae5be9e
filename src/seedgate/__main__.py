from seedgate.cli.main import main

raise SystemExit(main())
