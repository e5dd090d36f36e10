"""Write communes.csv and departements.csv from the official list (run after `npm ci`).

Source: the npm package @etalab/decoupage-administratif (INSEE's Code officiel géographique
as JSON, data under the Licence Ouverte / Etalab 2.0), pinned in package.json and
package-lock.json. The pipeline reads only the two CSV files written here, so building a report
needs no npm; `communes_source.json` records the package version they come from, and
tests/test_communes.py checks that they are what this script writes from the pinned package.

    python data/reference/make_communes.py
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "@etalab/decoupage-administratif"


def package_dir(root: Path) -> Path:
    return root / "node_modules" / PACKAGE


def rows(package: Path) -> tuple[list[list[str]], list[list[str]]]:
    """The communes (code, name, department, postcodes, kind) and départements (code, name),
    sorted, from the package's JSON files."""
    communes = json.loads((package / "data" / "communes.json").read_text(encoding="utf-8"))
    departements = json.loads((package / "data" / "departements.json").read_text(encoding="utf-8"))
    out = [
        [
            c["code"],
            c["nom"],
            c.get("departement", ""),
            " ".join(c.get("codesPostaux", [])),
            c["type"],
        ]
        for c in communes
    ]
    out.sort(key=lambda r: (r[0], r[4], r[1]))
    deps = sorted([d["code"], d["nom"]] for d in departements)
    return out, deps


def write(folder: Path, package: Path) -> None:
    communes, deps = rows(package)
    for name, header, body in (
        ("communes.csv", ["code", "name", "department", "postcodes", "kind"], communes),
        ("departements.csv", ["code", "name"], deps),
    ):
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(body)
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    source = {
        "package": PACKAGE,
        "version": version,
        "licence": "Licence Ouverte / Etalab 2.0 (data: INSEE, Code officiel géographique)",
        "files": ["communes.csv", "departements.csv"],
        "script": "data/reference/make_communes.py",
    }
    (folder / "communes_source.json").write_text(
        json.dumps(source, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1]
    write(HERE, package_dir(root))
