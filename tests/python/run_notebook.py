"""Runs a notebook in a real Jupyter kernel (nbclient), as JupyterLab would, and writes the
executed notebook next to OUT. Exit 1, with the failing cell's error, when a cell raises.

Usage: python run_notebook.py NOTEBOOK OUT [TIMEOUT_PER_CELL]
"""

import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    source, out = sys.argv[1], sys.argv[2]
    timeout = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3")
    try:
        client.execute()
        status = 0
    except CellExecutionError as e:
        print(f"run_notebook: a cell failed:\n{e}", file=sys.stderr)
        status = 1
    nbformat.write(notebook, out)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            if text:
                print(f"[{cell.get('execution_count')}] {text.rstrip()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
