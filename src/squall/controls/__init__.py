"""squall's own controls. Each module is a Chaos Toolkit control module (declared in an
experiment's ``controls``, the settings or ``--control-file``) written against the public
API only, as a third-party control would be; they are registered under the
``squall.controls`` entry-point group like any installed control package.

- ``squall.controls.safeguards``: stop conditions checked before and during the run.
- ``squall.controls.repeat``: run an activity several times.
- ``squall.controls.bypass``: skip activities by name or type.
- ``squall.controls.notify``: send the run's events to webhooks and functions.
"""
