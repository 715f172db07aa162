"""Deprecated alias: moved to :mod:`cnnbook.saving.torch_checkpoint` in cnnbook 0.3.0;
this path goes in 0.4.0."""

from cnnbook._moved import alias

__getattr__, __dir__ = alias(__name__, "cnnbook.saving.torch_checkpoint",
                             moved="0.3.0", gone="0.4.0")
