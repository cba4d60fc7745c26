"""Importing pyHanko without cryptography's DSA deprecation warning on every start.

pyHanko's `sign.signers.pdf_cms` reads `cryptography...asymmetric.dsa.DSAPublicKey` at import time to
recognize DSA signers; cryptography 51 deprecated DSA and warns on that attribute access. CarePath signs
with EC keys and never handles DSA, so the warning says nothing about us and only clutters `carepath run`
and every worker's log. It is silenced for this one import, by its message, and nowhere else: a
deprecation that concerns our own calls still shows. Remove when pyHanko stops touching the DSA names.
"""

from __future__ import annotations

import warnings

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning)
    import pyhanko.sign  # noqa: F401 - imported once here, so later imports of it come from sys.modules
