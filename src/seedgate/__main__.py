from seedgate.cli import main

raise SystemExit(main())
