"""``python -m`` entry point: the same as the console script."""

from .app import main

if __name__ == "__main__":
    main()
