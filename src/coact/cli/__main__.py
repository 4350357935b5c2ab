import sys

from coact.cli import main

sys.exit(main())
