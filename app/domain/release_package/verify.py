"""Check a Stillwell release package, with nothing but the Python standard library.

    python verify.py DIR        (DIR: the unzipped package, or the package's .zip file)
    python verify.py DIR --sha256 HEX --key-id ID   (also insist on the hash and key id you were given)

Exits 0 only when every check holds; otherwise it names each file and figure that is wrong.

What it checks, in order:
1. every resource listed in datapackage.json: its size in bytes and its SHA-256;
2. release.json: its SHA-256 is the release hash, and it is canonical JSON (sorted keys, separators
   "," and ":", UTF-8), so it is byte for byte the document that was hashed;
3. signature.txt: the Ed25519 signature of the line `stillwell-release:sha256:<release hash>`,
   checked in pure Python (RFC 8032) against the public key it names; compare its key id with the
   list at <site>/published/signing-key;
4. figures.csv, counts.csv, METHODS.md and datapackage.json are exactly what release.json makes;
5. from counts.csv it recomputes every rate and Wilson 95% interval (z = 1.959964) that is not
   suppressed: a count rounded to the nearest 5 stands for any value within 2 of it, "*" for 1 to 7,
   so a published rate and interval must come from at least one such pair of counts;
6. every other figure is consistent with the rounded counts: counts that are the same people are
   published alike, parts add up to their whole (within the rounding), nothing is larger than what
   it is part of, and the suppression rules hold;
7. the agreement with the independent assessor (releases from SPEC 8.4 on): its rates are recomputed
   with the others, Cohen's kappa from the 2x2 counts (some table within the rounding must give the
   published kappa), and the bootstrap interval of the corrected figure, which resampling with its
   seed alone makes, is not recomputable here: it is checked present and in order.

The same file builds the package's derived files in Stillwell itself (app/domain/release_package),
so what is checked here is what was published.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import sys
import zipfile
from pathlib import Path

PACKAGE_FORMAT = "stillwell-release-package/1"
RELEASE_FILE = "release.json"
FIGURES_FILE = "figures.csv"
COUNTS_FILE = "counts.csv"
METHODS_FILE = "METHODS.md"
SIGNATURE_FILE = "signature.txt"
VERIFIER_FILE = "verify.py"
DESCRIPTOR_FILE = "datapackage.json"
RESOURCE_FILES = (RELEASE_FILE, FIGURES_FILE, COUNTS_FILE, METHODS_FILE, SIGNATURE_FILE, VERIFIER_FILE)
SUPPRESSED = "*"
MESSAGE_PREFIX = "stillwell-release:sha256:"

# ----------------------------------------------------------------------------------------------------------
# Ed25519 signature check (RFC 8032 section 5.1.7), pure Python.

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _point_add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    p, q = (y1 - x1) * (y2 - x2) % _P, (y1 + x1) * (y2 + x2) % _P
    r, s = 2 * t1 * t2 * _D % _P, 2 * z1 * z2 % _P
    e, f, g, h = q - p, s - r, s + r, q + p
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _point_mul(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        scalar >>= 1
    return result


def _point_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _decompress(data):
    """A point from its 32-byte encoding, or None when the encoding is not a valid, canonical point."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        if sign:
            return None
        return (0, y, 1, 0)
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


_BASE = _decompress((4 * pow(5, _P - 2, _P) % _P).to_bytes(32, "little"))


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is a valid Ed25519 signature of `message` by `public_key` (both raw bytes)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public_key), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _point_equal(_point_mul(s, _BASE), _point_add(r, _point_mul(h, a)))


def key_id(public_key: bytes) -> str:
    """A public key's id: the first 16 hex digits of the SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def signed_message(release_sha256: str) -> bytes:
    """What a release's signature signs: one ASCII line naming its hash."""
    return (MESSAGE_PREFIX + release_sha256).encode("ascii")


# ----------------------------------------------------------------------------------------------------------
# The derived files, made from release.json (Stillwell builds them with these very functions).


def canonical_json(document) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def _is_rate(value) -> bool:
    return isinstance(value, dict) and set(value) == {"numerator", "denominator", "rate", "ci95"}


_ID_KEYS = ("weeks", "service", "term")


def _segments(items):
    """Path segments for a list's items: an item's weeks, service or term when they are unique, else its index."""
    for key in _ID_KEYS:
        names = [item.get(key) for item in items if isinstance(item, dict)]
        if len(names) == len(items) and len(set(map(str, names))) == len(items):
            suffix = "_weeks" if key == "weeks" else ""
            return [(f"{name}{suffix}", key) for name in names]
    return [(str(i), None) for i in range(len(items))]


def flatten(value, path=""):
    """(path, value) for every published value below `value`, in document order; an interval's ends are
    `.low` and `.high`."""
    if isinstance(value, dict):
        rows = []
        for key, inner in value.items():
            rows += flatten(inner, f"{path}.{key}" if path else str(key))
        return rows
    if isinstance(value, list):
        if len(value) == 2 and all(not isinstance(v, (dict, list)) for v in value):
            return [(f"{path}.low", value[0]), (f"{path}.high", value[1])]
        rows = []
        for item, (segment, id_key) in zip(value, _segments(value)):
            inner = {k: v for k, v in item.items() if k != id_key} if id_key else item
            rows += flatten(inner, f"{path}.{segment}")
        return rows
    if path.endswith("ci95") and value in (None, SUPPRESSED):
        return [(f"{path}.low", value), (f"{path}.high", value)]
    return [(path, value)]


def published_figures(document):
    """Every published figure of a release: the summary's (no prefix) and the comparison's (`comparison.`)."""
    rows = flatten(document.get("figures", {}))
    if document.get("comparison") is not None:
        rows += flatten(document["comparison"], "comparison")
    if document.get("agreement") is not None:
        rows += flatten(document["agreement"], "agreement")
    return rows


def rates(document):
    """(path, RATE) for every rate object of a release, in document order."""
    found = []

    def walk(value, path):
        if _is_rate(value):
            found.append((path, value))
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for item, (segment, _) in zip(value, _segments(value)):
                walk(item, f"{path}.{segment}")

    walk(document.get("figures", {}), "")
    if document.get("comparison") is not None:
        walk(document["comparison"], "comparison")
    if document.get("agreement") is not None:
        walk(document["agreement"], "agreement")
    return found


def _number(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


#: The cells a spreadsheet would run as a formula: as app/domain/csv_cells.py guards them (this file uses the
#: standard library only, so it keeps its own copy; tests/unit/test_csv_writers.py checks both agree).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(cell):
    """Text that would run as a formula gets a leading `'`; a number written as text stays as it is."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        try:
            float(cell)
        except ValueError:
            return "'" + cell
    return cell


def _csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")


def figures_csv(document) -> bytes:
    """figures.csv: `figure,value,label`; value is the number ("*" suppressed, empty when there is none),
    label the value when it is text or true/false."""
    rows = [("figure", "value", "label")]
    for path, value in published_figures(document):
        if isinstance(value, bool):
            rows.append((path, "", "true" if value else "false"))
        elif isinstance(value, (int, float)):
            rows.append((path, _number(value), ""))
        elif value is None:
            rows.append((path, "", ""))
        elif value == SUPPRESSED:
            rows.append((path, SUPPRESSED, ""))
        else:
            rows.append((path, "", str(value)))
    return _csv(rows)


def counts_csv(document) -> bytes:
    """counts.csv: `rate,numerator,denominator`, the published counts behind every rate ("*" for 1-7)."""
    rows = [("rate", "numerator", "denominator")]
    rows += [(path, str(rate["numerator"]), str(rate["denominator"])) for path, rate in rates(document)]
    return _csv(rows)


def _scope(document) -> str:
    scope = document.get("scope") or {}
    return "all services" if scope.get("kind") == "all" else f"{scope.get('kind')} {scope.get('code')}"


def methods_md(document, release_sha256: str) -> bytes:
    """METHODS.md: what the release is, how its figures were made and protected, and how to check it."""
    text = f"""# {document.get("title", "Stillwell release")}

- Figures as of: {document.get("as_of")} (discharges and answers up to and including this date)
- Scope: {_scope(document)}
- Methodology version: {document.get("methodology")}
- Software version: {document.get("software_version")}
- Published: {document.get("created_at")}
- Release SHA-256: {release_sha256}

## Method

Stillwell contacts people itself after they are discharged from NHS Talking Therapies, at fixed
numbers of weeks after discharge, and asks whether they are better, the same or worse than when they
first went, how long they have been that way, and whether they feel back to their usual self. A
person is recovered at a check-in when they feel back to their usual self and have been for 8 weeks
(anxiety problems) or 4 calendar months (depression and other problems). An episode is durably
recovered when the latest check-in that says how the person is shows them recovered. The primary
figure, durable recovery by intention to treat, counts every eligible episode in its denominator,
answered or not. Rates carry Wilson 95% score intervals without continuity correction
(z = 1.959964). The full methodology is published with the figures (docs/methodology.md).

{_agreement_methods(document)}## Disclosure control

{document.get("disclosure_control", "")}

## Files

- `release.json`: the released document; its SHA-256 is the release hash above.
- `figures.csv`: every published figure, one a row (`figure,value,label`; `*` is suppressed).
- `counts.csv`: the published counts behind every rate (`rate,numerator,denominator`).
- `signature.txt`: the Ed25519 signature of the release hash, with the public key and its id.
- `verify.py`: checks all of this with the Python standard library: `python verify.py DIR`.
- `datapackage.json`: the Frictionless Data Package descriptor (sizes, SHA-256s, table schemas).
"""
    return text.encode("utf-8")


def _agreement_methods(document) -> str:
    """METHODS.md's paragraph on the agreement with the independent assessor, for releases that have it."""
    if document.get("agreement") is None:
        return ""
    return """## Agreement with an independent assessor

A trained assessor telephones a random sample of people who agreed to a call and, without knowing
what they texted, judges them durably recovered or not by the same thresholds. `agreement` sets the
two side by side: the 2x2 table, percent agreement, Cohen's kappa (asymptotic interval of Fleiss,
Cohen and Everitt 1969), the sensitivity and specificity of the texts against the assessor, and the
intention-to-treat durable recovery corrected for the texts' errors (Rogan and Gladen 1978), with a
seeded percentile bootstrap interval that `verify.py` cannot recompute without the pairs.

"""


def signature_txt(release_id, release_sha256: str, public_key: bytes, signature: bytes, key_list_url: str) -> bytes:
    """signature.txt: `name: value` lines."""
    lines = [
        ("algorithm", "Ed25519"),
        ("release", str(release_id)),
        ("release_sha256", release_sha256),
        ("message", signed_message(release_sha256).decode("ascii")),
        ("key_id", key_id(public_key)),
        ("public_key", public_key.hex()),
        ("signature", signature.hex()),
        ("key_list", key_list_url),
    ]
    return "".join(f"{name}: {value}\n" for name, value in lines).encode("ascii")


def parse_signature(data: bytes):
    fields = {}
    for line in data.decode("ascii").splitlines():
        name, sep, value = line.partition(": ")
        if not sep or name in fields:
            raise ValueError(f"line {line!r} is not `name: value` (or repeats a name)")
        fields[name] = value
    return fields


_MISSING = ["", SUPPRESSED]


def _resource(path, mediatype, data, schema=None, description=""):
    resource = {
        "name": path.lower().replace(".", "-"),
        "path": path,
        "format": path.rpartition(".")[2].lower(),
        "mediatype": mediatype,
        "encoding": "utf-8",
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "description": description,
    }
    if schema is not None:
        resource["profile"] = "tabular-data-resource"
        resource["dialect"] = {"delimiter": ",", "lineTerminator": "\r\n", "header": True}
        resource["schema"] = schema
    return resource


FIGURES_SCHEMA = {
    "fields": [
        {"name": "figure", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "value", "type": "number", "description": 'the figure when it is a number; "*" suppressed'},
        {"name": "label", "type": "string", "description": "the figure when it is text or true/false"},
    ],
    "primaryKey": ["figure"],
    "missingValues": _MISSING,
}
COUNTS_SCHEMA = {
    "fields": [
        {"name": "rate", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "numerator", "type": "integer", "constraints": {"minimum": 0}, "description": '"*" is 1 to 7'},
        {"name": "denominator", "type": "integer", "constraints": {"minimum": 0}, "description": '"*" is 1 to 7'},
    ],
    "primaryKey": ["rate"],
    "missingValues": [SUPPRESSED],
}


def descriptor(release_id, document, files) -> bytes:
    """datapackage.json for a release's files (a name -> bytes mapping holding every resource)."""
    package = {
        "profile": "data-package",
        "name": f"stillwell-release-{release_id}",
        "title": document.get("title", ""),
        "description": f"Stillwell release {release_id}: figures as of {document.get('as_of')}, {_scope(document)}.",
        "version": str(release_id),
        "created": document.get("created_at", ""),
        "stillwell": {"format": PACKAGE_FORMAT, "release": release_id},
        "resources": [
            _resource(RELEASE_FILE, "application/json", files[RELEASE_FILE], description="the released document"),
            _resource(FIGURES_FILE, "text/csv", files[FIGURES_FILE], FIGURES_SCHEMA, "every published figure"),
            _resource(COUNTS_FILE, "text/csv", files[COUNTS_FILE], COUNTS_SCHEMA, "the counts behind every rate"),
            _resource(METHODS_FILE, "text/markdown", files[METHODS_FILE], description="methods and disclosure"),
            _resource(SIGNATURE_FILE, "text/plain", files[SIGNATURE_FILE], description="Ed25519 signature"),
            _resource(VERIFIER_FILE, "text/x-python", files[VERIFIER_FILE], description="python verify.py DIR"),
        ],
    }
    return (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def derived_files(release_id, document, release_sha256: str):
    """The files a release's JSON alone makes: figures.csv, counts.csv and METHODS.md."""
    return {
        FIGURES_FILE: figures_csv(document),
        COUNTS_FILE: counts_csv(document),
        METHODS_FILE: methods_md(document, release_sha256),
    }


# ----------------------------------------------------------------------------------------------------------
# Rates, intervals and rounded counts, as Stillwell computes them (app/domain/statistics.py, disclosure.py).

#: statsmodels' normal quantile for z = 1.959964 (one unit in the last place below it), as Stillwell uses.
WILSON_Z = 1.9599639999999998


def wilson_interval(numerator: int, denominator: int):
    z2 = WILSON_Z**2
    q = numerator / denominator
    denom = 1 + z2 / denominator
    center = (q + z2 / (2 * denominator)) / denom
    dist = WILSON_Z * math.sqrt(q * (1.0 - q) / denominator + z2 / (4.0 * (denominator * denominator)))
    dist /= denom
    return min(max(center - dist, 0.0), 1.0), min(max(center + dist, 0.0), 1.0)


def whole_percent(fraction: float) -> int:
    return math.floor(100 * fraction + 0.5)


def published_rate(numerator: int, denominator: int):
    """(rate, [low, high]) in whole percentages, as published from exact counts (denominator > 0)."""
    low, high = wilson_interval(numerator, denominator)
    return (200 * numerator + denominator) // (2 * denominator), [whole_percent(low), whole_percent(high)]


def count_range(published):
    """The exact counts a published count stands for: 0 is 0, "*" is 1-7, N (a multiple of 5, 10 or more)
    is N-2 to N+2; None when it is not a published count."""
    if published == SUPPRESSED:
        return (1, 7)
    if isinstance(published, bool) or not isinstance(published, int):
        return None
    if published == 0:
        return (0, 0)
    if published < 10 or published % 5:
        return None
    return (max(8, published - 2), published + 2)


def rate_candidates(numerator, denominator):
    """The count pairs a published rate's counts stand for (numerator <= denominator)."""
    nr, dr = count_range(numerator), count_range(denominator)
    if nr is None or dr is None:
        return []
    return [(n, d) for d in range(dr[0], dr[1] + 1) for n in range(nr[0], min(nr[1], d) + 1)]


# ----------------------------------------------------------------------------------------------------------
# The check.


class Report:
    """What the check found: problems (each fails it), and what it recomputed, checked and found suppressed."""

    def __init__(self):
        self.problems = []
        self.passed = []
        self.recomputed = []
        self.consistent = []
        self.suppressed = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_package(location: Path):
    """name -> bytes for the package's files, from a folder or a .zip (a single top folder in it is fine)."""
    if location.is_file() and zipfile.is_zipfile(location):
        with zipfile.ZipFile(location) as archive:
            files = {}
            for info in archive.infolist():
                if not info.is_dir():
                    files[info.filename.rpartition("/")[2]] = archive.read(info)
            return files
    if not location.is_dir():
        raise FileNotFoundError(f"{location} is neither a folder nor a .zip file")
    return {path.name: path.read_bytes() for path in location.iterdir() if path.is_file()}


def _check_resources(files, package, report):
    listed = [resource.get("path") for resource in package.get("resources", [])]
    if listed != list(RESOURCE_FILES):
        report.fail(DESCRIPTOR_FILE, f"lists resources {listed}, expected {list(RESOURCE_FILES)}")
    for resource in package.get("resources", []):
        path = resource.get("path")
        if path not in files:
            report.fail(str(path), "is listed in datapackage.json but missing from the package")
            continue
        data = files[path]
        if resource.get("bytes") != len(data):
            report.fail(path, f"is {len(data)} bytes, datapackage.json says {resource.get('bytes')}")
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if resource.get("hash") != digest:
            report.fail(path, f"has SHA-256 {digest[7:]}, datapackage.json says {str(resource.get('hash'))[7:]}")
    if report.ok:
        report.passed.append(f"{DESCRIPTOR_FILE}: all {len(listed)} resources have the bytes and SHA-256 it lists")


def _check_signature(files, release_sha256, expect, report):
    try:
        fields = parse_signature(files[SIGNATURE_FILE])
        public_key = bytes.fromhex(fields["public_key"])
        signature = bytes.fromhex(fields["signature"])
    except (KeyError, ValueError, UnicodeDecodeError) as error:
        report.fail(SIGNATURE_FILE, f"cannot be read ({error})")
        return None
    if fields.get("algorithm") != "Ed25519":
        report.fail(SIGNATURE_FILE, f"algorithm is {fields.get('algorithm')!r}, not Ed25519")
    if fields.get("release_sha256") != release_sha256:
        report.fail(
            SIGNATURE_FILE,
            f"signs release hash {fields.get('release_sha256')}, but release.json hashes to {release_sha256}",
        )
    if fields.get("key_id") != key_id(public_key):
        report.fail(
            SIGNATURE_FILE, f"key id {fields.get('key_id')} is not the id of its public key ({key_id(public_key)})"
        )
    if expect.get("key_id") and key_id(public_key) != expect["key_id"]:
        report.fail(SIGNATURE_FILE, f"was made with key {key_id(public_key)}, not the key {expect['key_id']} you gave")
    if not ed25519_verify(public_key, signed_message(release_sha256), signature):
        report.fail(SIGNATURE_FILE, "the Ed25519 signature does not match the release hash and public key")
    else:
        report.passed.append(
            f"{SIGNATURE_FILE}: valid Ed25519 signature of the release hash by key {key_id(public_key)} "
            f"(check this key id is listed at {fields.get('key_list', '/published/signing-key')})"
        )
    return fields


def _compare_file(name, actual, expected, report, key_column=True):
    if actual == expected:
        return True
    if key_column and name.endswith(".csv"):
        try:
            got = list(csv.reader(io.StringIO(actual.decode("utf-8"))))
            want = list(csv.reader(io.StringIO(expected.decode("utf-8"))))
        except UnicodeDecodeError:
            report.fail(name, "is not UTF-8 text")
            return False
        for number, (row, wanted) in enumerate(zip(got, want), start=1):
            if row != wanted:
                report.fail(name, f"line {number} is {','.join(row)!r}; release.json makes {','.join(wanted)!r}")
                return False
        report.fail(name, f"has {len(got)} lines; release.json makes {len(want)}")
        return False
    lines, wanted = actual.splitlines(), expected.splitlines()
    for number, (line, want) in enumerate(zip(lines, wanted), start=1):
        if line != want:
            report.fail(name, f"line {number} differs from what release.json makes: {line[:80]!r}")
            return False
    report.fail(name, "differs from what release.json makes (its length or line endings)")
    return False


def _diff_json(got, want, path=""):
    if type(got) is not type(want):
        return [f"{path or '(top)'} is {json.dumps(got)[:60]}, expected {json.dumps(want)[:60]}"]
    if isinstance(want, dict):
        found = []
        for key in list(want) + [k for k in got if k not in want]:
            if key not in got or key not in want:
                found.append(f"{path}.{key}: {'missing' if key not in got else 'not expected'}")
            else:
                found += _diff_json(got[key], want[key], f"{path}.{key}" if path else key)
        return found
    if isinstance(want, list):
        if len(got) != len(want):
            return [f"{path} has {len(got)} items, expected {len(want)}"]
        found = []
        for i, (g, w) in enumerate(zip(got, want)):
            found += _diff_json(g, w, f"{path}[{i}]")
        return found
    return [] if got == want else [f"{path} is {json.dumps(got)[:60]}, expected {json.dumps(want)[:60]}"]


def _check_descriptor(files, package, release_id, document, report):
    expected = descriptor(release_id, document, files)
    if files[DESCRIPTOR_FILE] == expected:
        report.passed.append(f"{DESCRIPTOR_FILE}: exactly the descriptor (names, schemas) this release makes")
        return
    want = json.loads(expected)
    for got_resource, want_resource in zip(package.get("resources", []), want["resources"]):
        for field in ("bytes", "hash"):  # checked against the files themselves above
            if field in got_resource:
                want_resource[field] = got_resource[field]
    differences = _diff_json(package, want)
    if differences:
        for difference in differences[:10]:
            report.fail(DESCRIPTOR_FILE, difference)
    elif json.dumps(package, indent=2, ensure_ascii=False) + "\n" != files[DESCRIPTOR_FILE].decode("utf-8"):
        report.fail(DESCRIPTOR_FILE, "is not laid out as published (spacing or order changed)")


def _check_rates(files, report):
    """Recompute every rate and interval from counts.csv; compare with figures.csv."""
    figures = {}
    for row in csv.DictReader(io.StringIO(files[FIGURES_FILE].decode("utf-8"))):
        figures[row["figure"]] = row["value"]
    for number, row in enumerate(csv.DictReader(io.StringIO(files[COUNTS_FILE].decode("utf-8"))), start=2):
        path = row["rate"]
        shown = [figures.get(f"{path}.{key}") for key in ("rate", "ci95.low", "ci95.high")]
        try:
            numerator = row["numerator"] if row["numerator"] == SUPPRESSED else int(row["numerator"])
            denominator = row["denominator"] if row["denominator"] == SUPPRESSED else int(row["denominator"])
        except ValueError:
            report.fail(COUNTS_FILE, f"line {number} ({path}): counts must be whole numbers or *")
            continue
        where = f"{COUNTS_FILE} line {number}, {path}"
        for name, value in (("numerator", numerator), ("denominator", denominator)):
            if count_range(value) is None:
                report.fail(where, f"{name} {value} is not a published count (0, * or a multiple of 5 from 10)")
        if count_range(numerator) is None or count_range(denominator) is None:
            continue
        if SUPPRESSED in (numerator, denominator):
            if shown != [SUPPRESSED] * 3:
                report.fail(where, f"a count is *, so the rate and interval must be * too (figures.csv has {shown})")
            else:
                report.suppressed.append(f"{path}: {numerator}/{denominator}")
            continue
        if denominator == 0:
            if numerator != 0 or shown != ["", "", ""]:
                report.fail(where, f"no denominator: the rate and interval must be empty (figures.csv has {shown})")
            else:
                report.recomputed.append(f"{path}: 0/0, no rate")
            continue
        try:
            published = (int(shown[0]), [int(shown[1]), int(shown[2])])
        except (TypeError, ValueError):
            report.fail(where, f"figures.csv has rate and interval {shown}, not whole percentages")
            continue
        matches = [pair for pair in rate_candidates(numerator, denominator) if published_rate(*pair) == published]
        candidates = len(rate_candidates(numerator, denominator))
        if not matches:
            report.fail(
                where,
                f"{shown[0]}% [{shown[1]}, {shown[2]}] cannot come from {numerator}/{denominator} "
                f"(no pair of counts within 2 of them gives it)",
            )
        else:
            low, high = min(m[0] for m in matches), max(m[0] for m in matches)
            report.recomputed.append(
                f"{path}: {shown[0]}% [{shown[1]}, {shown[2]}] from {numerator}/{denominator}: "
                f"{len(matches)} of {candidates} count pairs give it (numerator {low}-{high})"
            )


def _range_of(value):
    found = count_range(value)
    return found if found is not None else None


def _same(report, label, values):
    """Counts of the same people are published alike."""
    present = [(name, value) for name, value in values if value is not None]
    if len(present) < 2:
        return
    if len({json.dumps(value) for _, value in present}) > 1:
        report.fail(label, "should be the same count, but are " + ", ".join(f"{n} = {v}" for n, v in present))
    else:
        report.consistent.append(f"{label}: " + " = ".join(n for n, _ in present))


def _adds_up(report, label, parts, whole):
    ranges = [_range_of(p) for p in parts]
    total = _range_of(whole)
    if total is None or any(r is None for r in ranges) or not parts:
        return
    low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if low > total[1] or high < total[0]:
        report.fail(label, f"the parts ({'+'.join(map(str, parts))}, so {low}-{high}) cannot add up to {whole}")
    else:
        report.consistent.append(f"{label}: parts {low}-{high}, whole {total[0]}-{total[1]}")


def _at_most(report, label, part, whole):
    a, b = _range_of(part), _range_of(whole)
    if a is None or b is None:
        return
    if a[0] > b[1]:
        report.fail(label, f"{part} cannot be part of {whole}")
    else:
        report.consistent.append(f"{label}: {part} <= {whole}")


ANSWERED = ("durably_recovered", "relapsed", "improved", "unchanged", "worse")


def _rate_part(block, name, part):
    rate = block.get(name) if isinstance(block, dict) else None
    return rate.get(part) if _is_rate(rate) else None


def _check_block(report, where, block, eligible=None):
    """A summary or a breakdown entry: its rates rest on its own counts."""
    dr = block.get("durable_recovery") or {}
    itt, ac, response = dr.get("itt"), dr.get("available_case"), block.get("response")
    outcomes = block.get("outcomes") or {}
    eligible = block.get("eligible", eligible)
    if _is_rate(itt):
        _same(
            report,
            f"{where} durably recovered",
            [
                ("outcomes", outcomes.get("durably_recovered")),
                ("itt numerator", itt["numerator"]),
                ("available-case numerator", ac and ac.get("numerator")),
            ],
        )
        _same(
            report,
            f"{where} eligible",
            [
                ("eligible", eligible),
                ("itt denominator", itt["denominator"]),
                ("response denominator", response and response.get("denominator")),
            ],
        )
    if _is_rate(ac) and _is_rate(response):
        _same(
            report,
            f"{where} answered",
            [("available-case denominator", ac["denominator"]), ("response numerator", response["numerator"])],
        )
        if all(k in outcomes for k in ANSWERED):
            _adds_up(report, f"{where} answered episodes", [outcomes[k] for k in ANSWERED], response["numerator"])
    if outcomes and eligible is not None:
        _adds_up(report, f"{where} outcomes", list(outcomes.values()), eligible)
    if "episodes" in block and eligible is not None:
        _at_most(report, f"{where} eligible of episodes", eligible, block["episodes"])


def _check_figures(document, report):
    figures = document.get("figures") or {}
    cohort = figures.get("cohort") or {}
    top = dict(figures, eligible=cohort.get("eligible"), episodes=cohort.get("episodes"))
    _check_block(report, "summary", top)
    if {"consented", "eligible", "pending"} <= set(cohort):
        _adds_up(report, "cohort consented", [cohort["eligible"], cohort["pending"]], cohort["consented"])
        _at_most(report, "cohort consented of episodes", cohort["consented"], cohort.get("episodes"))
    response = figures.get("response")
    if _is_rate(response) and figures.get("change_distribution"):
        _adds_up(report, "change distribution", list(figures["change_distribution"].values()), response["numerator"])
    for key, breakdown in figures.items():
        if not key.startswith("by_") or not isinstance(breakdown, dict):
            continue
        for name, block in breakdown.items():
            _check_block(report, f"{key}.{name}", block)
        blocks = list(breakdown.values())
        if blocks:
            for field in ("episodes", "eligible"):
                if all(field in b for b in blocks) and cohort.get(field) is not None:
                    _adds_up(report, f"{key} {field}", [b[field] for b in blocks], cohort[field])
    for point in figures.get("follow_up_points") or []:
        where = f"follow_up_points.{point.get('weeks')}_weeks"
        _same(
            report,
            f"{where} recovered",
            [
                ("recovered", point.get("recovered")),
                ("itt numerator", _rate_part(point, "itt", "numerator")),
                ("available-case numerator", _rate_part(point, "available_case", "numerator")),
            ],
        )
        _same(
            report,
            f"{where} closed",
            [("closed", point.get("closed")), ("itt denominator", _rate_part(point, "itt", "denominator"))],
        )
        _same(
            report,
            f"{where} answered",
            [
                ("answered", point.get("answered")),
                ("available-case denominator", _rate_part(point, "available_case", "denominator")),
            ],
        )
        _at_most(report, f"{where} recovered of answered", point.get("recovered"), point.get("answered"))
        _at_most(report, f"{where} answered of closed", point.get("answered"), point.get("closed"))
    reported = figures.get("service_reported") or {}
    if reported:
        _same(
            report,
            "service_reported at caseness",
            [
                ("at_caseness", reported.get("at_caseness")),
                ("recovery denominator", _rate_part(reported, "recovery", "denominator")),
                ("reliable recovery denominator", _rate_part(reported, "reliable_recovery", "denominator")),
            ],
        )
        _same(
            report,
            "service_reported finished",
            [
                ("finished", reported.get("finished")),
                ("reliable improvement denominator", _rate_part(reported, "reliable_improvement", "denominator")),
                ("reliable deterioration denominator", _rate_part(reported, "reliable_deterioration", "denominator")),
            ],
        )
        _at_most(
            report, "service_reported at caseness of finished", reported.get("at_caseness"), reported.get("finished")
        )
        _at_most(
            report,
            "service_reported reliable recovery of recovery",
            _rate_part(reported, "reliable_recovery", "numerator"),
            _rate_part(reported, "recovery", "numerator"),
        )
    attrition = figures.get("attrition") or {}
    chain = [attrition.get(k) for k in ("referred", "entered_treatment", "finished_course", "seven_plus")]
    for whole, part in zip(chain, chain[1:]):
        _at_most(report, "attrition", part, whole)
    _at_most(report, "attrition assessed of referred", attrition.get("assessed"), attrition.get("referred"))
    _same(
        report,
        "episodes referred",
        [("cohort episodes", cohort.get("episodes")), ("attrition referred", attrition.get("referred"))],
    )
    _check_wellness(figures.get("wellness") or {}, report)
    _check_effects(figures.get("effect_sizes") or {}, report)
    _check_comparison(document.get("comparison"), figures, report)


def _check_wellness(wellness, report):
    if not wellness:
        return
    _at_most(report, "wellness events of people", wellness.get("events"), wellness.get("n"))
    if wellness.get("median_weeks") == SUPPRESSED:
        report.suppressed.append("wellness: Kaplan-Meier figures (n or events 1-7)")
        return
    estimates = []
    for weeks, point in (wellness.get("still_well") or {}).items():
        estimate, ci = point.get("estimate"), point.get("ci95")
        if isinstance(estimate, int):
            estimates.append(estimate)
            if not 0 <= estimate <= 100 or (isinstance(ci, list) and not ci[0] <= estimate <= ci[1]):
                report.fail(f"wellness still_well {weeks}", f"estimate {estimate}% outside 0-100 or its interval {ci}")
            else:
                report.consistent.append(f"wellness still_well {weeks}: {estimate}% within its interval {ci}")
    if estimates != sorted(estimates, reverse=True):
        report.fail("wellness still_well", f"estimates {estimates} rise with time (a survival curve never rises)")


def _check_effects(effects, report):
    for descriptor_name, measures in effects.items():
        for measure, effect in measures.items():
            where = f"effect_sizes.{descriptor_name}.{measure}"
            if effect.get("n") == SUPPRESSED:
                report.suppressed.append(f"{where}: n 1-7")
                continue
            d, u3 = effect.get("d"), effect.get("u3")
            if isinstance(d, (int, float)) and isinstance(u3, (int, float)):
                phi = 0.5 * math.erfc(-d / math.sqrt(2))
                if abs(phi - u3) > 1e-9:
                    report.fail(where, f"U3 {u3} is not Phi(d) = {phi} for d = {d}")
                else:
                    report.recomputed.append(f"{where}: U3 = Phi(d) = {u3:.6f}")
                first, last = effect.get("mean_first"), effect.get("mean_last")
                if isinstance(first, (int, float)) and isinstance(last, (int, float)) and d * (first - last) < 0:
                    report.fail(where, f"d {d} has the wrong sign for means {first} -> {last}")


def _check_comparison(comparison, figures, report):
    if not comparison:
        return
    itt = (figures.get("durable_recovery") or {}).get("itt")
    target = comparison.get("target")
    if _is_rate(itt) and _is_rate(target):
        for part in ("numerator", "denominator"):
            _same(report, f"comparison target {part}", [("target", target[part]), ("summary itt", itt[part])])
    services = figures.get("by_service") or {}
    for entry in comparison.get("services") or []:
        code, observed = entry.get("service"), entry.get("observed")
        block_itt = ((services.get(code) or {}).get("durable_recovery") or {}).get("itt")
        if _is_rate(observed) and _is_rate(block_itt):
            for part in ("numerator", "denominator"):
                _same(
                    report, f"comparison {code} {part}", [("observed", observed[part]), ("by_service", block_itt[part])]
                )
        reported = entry.get("service_reported_recovery")
        gap = entry.get("gap")
        if isinstance(gap, int) and _is_rate(observed) and _is_rate(reported):
            if isinstance(observed["rate"], int) and isinstance(reported["rate"], int):
                if abs(gap - (observed["rate"] - reported["rate"])) > 1:
                    report.fail(f"comparison {code} gap", f"{gap} is not {observed['rate']} - {reported['rate']}")
                else:
                    report.consistent.append(f"comparison {code} gap: {gap} ~ {observed['rate']} - {reported['rate']}")
        if entry.get("position") == SUPPRESSED:
            report.suppressed.append(f"comparison {code}: position and limits (its counts are 1-7)")


def kappa_of(a, b, c, d):
    """Cohen's kappa of a 2x2 table (app/domain/agreement.py), None when undefined."""
    n = a + b + c + d
    if n == 0:
        return None
    row, col = (a + b) / n, (a + c) / n
    expected = row * col + (1 - row) * (1 - col)
    if expected >= 1:
        return None
    return ((a + d) / n - expected) / (1 - expected)


def two_places(value):
    """A kappa as published: two decimal places, halves rounded up."""
    return math.floor(100 * value + 0.5) / 100


AGREEMENT_CELLS = ("both_recovered", "text_only", "assessor_only", "neither")


def _check_agreement(document, report):
    """The agreement section: its counts hang together, kappa follows from the table, the rest is present."""
    agreement = document.get("agreement")
    if agreement is None:
        return  # a release made before the independent assessment joined releases
    table, pairs = agreement.get("table") or {}, agreement.get("pairs")
    cells = [table.get(key) for key in AGREEMENT_CELLS]
    _adds_up(report, "agreement 2x2 table", cells, pairs)
    a, b, c, d = cells
    for name, part_names, total in (
        ("percent_agreement", (a, d), "denominator"),
        ("sensitivity", (a, c), None),
        ("specificity", (b, d), None),
    ):
        rate = agreement.get(name)
        if not _is_rate(rate):
            continue
        if total == "denominator":
            _same(report, "agreement pairs", [("pairs", pairs), ("percent agreement denominator", rate["denominator"])])
            _adds_up(report, "agreement agreeing pairs", list(part_names), rate["numerator"])
        else:
            _adds_up(report, f"agreement {name} denominator", list(part_names), rate["denominator"])
    _same(
        report,
        "agreement sensitivity numerator",
        [("both_recovered", a), ("sensitivity", _rate_part(agreement, "sensitivity", "numerator"))],
    )
    _same(
        report,
        "agreement specificity numerator",
        [("neither", d), ("specificity", _rate_part(agreement, "specificity", "numerator"))],
    )
    itt = ((document.get("figures") or {}).get("durable_recovery") or {}).get("itt")
    if _is_rate(itt) and _is_rate(agreement.get("itt_durable_recovery")):
        for part in ("numerator", "denominator"):
            _same(
                report,
                f"agreement itt {part}",
                [("agreement", agreement["itt_durable_recovery"][part]), ("summary itt", itt[part])],
            )
    _check_kappa(agreement.get("kappa") or {}, cells, pairs, report)
    _check_corrected(agreement.get("corrected_itt_durable_recovery") or {}, pairs, report)


def _check_kappa(kappa, cells, pairs, report):
    estimate, interval = kappa.get("estimate"), kappa.get("ci95")
    if estimate == SUPPRESSED:
        if count_range(pairs) != (1, 7):
            report.fail("agreement kappa", f"is * but there are {pairs} pairs (only 1-7 pairs suppress it)")
        else:
            report.suppressed.append("agreement: kappa and the corrected figure (1-7 pairs)")
        return
    if estimate is None:
        report.recomputed.append("agreement.kappa: none (no pairs, or chance agreement is total)")
        return
    ranges = [count_range(cell) for cell in cells]
    total = count_range(pairs)
    if any(r is None for r in ranges) or total is None or not isinstance(estimate, (int, float)):
        report.fail("agreement kappa", f"cannot be checked from the table {cells} and pairs {pairs}")
        return
    found = 0
    tables = 0
    for a in range(ranges[0][0], ranges[0][1] + 1):
        for b in range(ranges[1][0], ranges[1][1] + 1):
            for c in range(ranges[2][0], ranges[2][1] + 1):
                for d in range(ranges[3][0], ranges[3][1] + 1):
                    if not total[0] <= a + b + c + d <= total[1]:
                        continue
                    tables += 1
                    value = kappa_of(a, b, c, d)
                    if value is not None and two_places(value) == estimate:
                        found += 1
    if not found:
        report.fail("agreement kappa", f"{estimate} cannot come from the table {cells} (no table within 2 gives it)")
        return
    if not (isinstance(interval, list) and len(interval) == 2 and interval[0] <= estimate <= interval[1]):
        report.fail("agreement kappa", f"estimate {estimate} is not within its interval {interval}")
        return
    report.recomputed.append(
        f"agreement.kappa: {estimate} from the 2x2 table {cells}: {found} of {tables} tables give it"
    )


def _check_corrected(corrected, pairs, report):
    estimate, interval = corrected.get("estimate"), corrected.get("ci95")
    if estimate == SUPPRESSED:
        if interval != SUPPRESSED:
            report.fail("agreement corrected", "the estimate is * but its interval is not")
        return
    if estimate is None:
        report.consistent.append("agreement corrected ITT durable recovery: none (Se + Sp - 1 <= 0, or no pairs)")
        return
    resamples, undefined = corrected.get("resamples"), corrected.get("undefined_resamples")
    problems = []
    if not isinstance(estimate, int) or not 0 <= estimate <= 100:
        problems.append(f"estimate {estimate} is not a whole percentage")
    if interval is not None and not (
        isinstance(interval, list) and len(interval) == 2 and 0 <= interval[0] <= interval[1] <= 100
    ):
        problems.append(f"interval {interval} is not two whole percentages in order")
    if not isinstance(resamples, int) or not isinstance(undefined, int) or not 0 <= undefined <= resamples:
        problems.append(f"resamples {resamples} and undefined resamples {undefined} do not fit")
    if not isinstance(corrected.get("seed"), int):
        problems.append("the bootstrap's seed is missing")
    if problems:
        report.fail("agreement corrected", "; ".join(problems))
        return
    report.consistent.append(
        f"agreement corrected ITT durable recovery: {estimate}% [{interval[0] if interval else '-'}, "
        f"{interval[1] if interval else '-'}]: bootstrap interval not recomputable ({resamples} seeded resamples, "
        f"seed {corrected['seed']}, {undefined} left out), checked present"
    )


def check(location, expect=None) -> Report:
    """Check the package at `location` (a folder or a .zip); `expect` may name the `sha256` and `key_id`."""
    expect = expect or {}
    report = Report()
    try:
        files = _read_package(Path(location))
    except OSError as error:
        report.fail(str(location), str(error))
        return report
    for name in (DESCRIPTOR_FILE, *RESOURCE_FILES):
        if name not in files:
            report.fail(name, "is missing from the package")
    if not report.ok:
        return report
    try:
        package = json.loads(files[DESCRIPTOR_FILE].decode("utf-8"))
    except ValueError as error:
        report.fail(DESCRIPTOR_FILE, f"is not JSON ({error})")
        package = {}
    _check_resources(files, package, report)
    release_bytes = files[RELEASE_FILE]
    release_sha256 = hashlib.sha256(release_bytes).hexdigest()
    try:
        document = json.loads(release_bytes.decode("utf-8"))
    except ValueError as error:
        report.fail(RELEASE_FILE, f"is not JSON ({error})")
        return report
    if canonical_json(document) != release_bytes:
        report.fail(RELEASE_FILE, "is not canonical JSON (sorted keys, ',' and ':', UTF-8): it is not what was hashed")
    if expect.get("sha256") and expect["sha256"].lower() != release_sha256:
        report.fail(RELEASE_FILE, f"hashes to {release_sha256}, not the release hash {expect['sha256']} you gave")
    fields = _check_signature(files, release_sha256, expect, report)
    if report.ok:
        report.passed.insert(0, f"{RELEASE_FILE}: canonical JSON with SHA-256 {release_sha256}, the signed hash")
    release_id = (fields or {}).get("release") or str((package.get("stillwell") or {}).get("release"))
    release_id = int(release_id) if str(release_id).isdigit() else release_id
    for name, expected in derived_files(release_id, document, release_sha256).items():
        if _compare_file(name, files[name], expected, report):
            report.passed.append(f"{name}: exactly what release.json makes")
    _check_descriptor(files, package, release_id, document, report)
    try:
        _check_rates(files, report)
    except (UnicodeDecodeError, KeyError, csv.Error) as error:
        report.fail(COUNTS_FILE, f"cannot be read ({error})")
    _check_figures(document, report)
    _check_agreement(document, report)
    return report


def _print(report, out) -> None:
    for line in report.passed:
        out.write(f"OK      {line}\n")
    out.write(
        f"\nRecomputed from counts.csv ({len(report.recomputed)}; Wilson 95% intervals, z = 1.959964; a count "
        "rounded to 5 stands for any value within 2 of it):\n"
    )
    for line in report.recomputed:
        out.write(f"  {line}\n")
    out.write(f"\nChecked for consistency with the rounded counts ({len(report.consistent)}):\n")
    for line in report.consistent:
        out.write(f"  {line}\n")
    out.write(f"\nSuppressed (counts of 1 to 7 shown as *; nothing to recompute) ({len(report.suppressed)}):\n")
    for line in report.suppressed:
        out.write(f"  {line}\n")
    if report.ok:
        out.write("\nRESULT: the package is intact, signed, and its figures follow from its counts.\n")
    else:
        out.write(f"\nRESULT: FAILED, {len(report.problems)} problem(s):\n")
        for line in report.problems:
            out.write(f"  FAIL  {line}\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Check a Stillwell release package (standard library only).")
    parser.add_argument(
        "package",
        nargs="?",
        default=str(Path(__file__).resolve().parent),
        help="the unzipped package folder, or its .zip (default: this file's folder)",
    )
    parser.add_argument("--sha256", help="the release hash you were given (from the release page)")
    parser.add_argument("--key-id", help="the signing key id you trust (from /published/signing-key)")
    args = parser.parse_args(argv)
    report = check(args.package, {"sha256": args.sha256, "key_id": args.key_id})
    _print(report, sys.stdout)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
