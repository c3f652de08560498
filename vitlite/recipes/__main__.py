import sys

from vitlite.recipes.registry import main

sys.exit(main())
