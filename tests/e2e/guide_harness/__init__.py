"""Harnesses for guide blocks that are servers rather than scripts (see tests/docs/guide_blocks.py):
each module has a `Harness` whose `before()` runs ahead of the block and `after(namespace)` after
it, in the same interpreter, with the block's globals."""
