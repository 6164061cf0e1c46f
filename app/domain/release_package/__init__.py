"""Release packages (SPEC 8.2): the files a release's JSON makes, and their standalone checker.

`verify.py` is shipped in every package as it is: it uses the Python standard library only, so anyone can
run `python verify.py DIR`. Stillwell builds the derived files with the same functions it checks them with.
"""

from app.domain.release_package.verify import (
    COUNTS_FILE,
    DESCRIPTOR_FILE,
    FIGURES_FILE,
    METHODS_FILE,
    RELEASE_FILE,
    RESOURCE_FILES,
    SIGNATURE_FILE,
    VERIFIER_FILE,
    check,
    derived_files,
    descriptor,
    ed25519_verify,
    key_id,
    signature_txt,
    signed_message,
)

__all__ = [
    "COUNTS_FILE",
    "DESCRIPTOR_FILE",
    "FIGURES_FILE",
    "METHODS_FILE",
    "RELEASE_FILE",
    "RESOURCE_FILES",
    "SIGNATURE_FILE",
    "VERIFIER_FILE",
    "check",
    "derived_files",
    "descriptor",
    "ed25519_verify",
    "key_id",
    "signature_txt",
    "signed_message",
]
