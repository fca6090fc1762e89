# SPDX-License-Identifier: GPL-2.0
"""The vhost-net backends the data-path tests run against, and the command
that makes each one the module behind /dev/vhost-net inside the VM."""

BACKENDS = ["stock", "lwvhost"]

_LOADERS = {"stock": "tests/vm/load-stock", "lwvhost": "tests/vm/load-lwvhost"}


def load_backend(backend):
    """Shell command that makes `backend` the loaded vhost_net."""
    return _LOADERS[backend]
