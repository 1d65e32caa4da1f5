from imagegen_tui.cli import main

raise SystemExit(main())
