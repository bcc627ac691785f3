from drill.cli.main import main

raise SystemExit(main())
