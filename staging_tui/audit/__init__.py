"""The doctor: pure checks over domain objects, plus a runner. No textual, no google.*."""
