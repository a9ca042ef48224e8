import sys

from monorel.cli import main

sys.exit(main())
