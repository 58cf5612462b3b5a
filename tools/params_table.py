"""Prints template.yaml's parameters as the README's Markdown table (`python3 tools/params_table.py` prints it)."""
import re
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


def _any(loader, suffix, node):
    return None


Loader.add_multi_constructor("!", _any)
params = yaml.load(open(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"), Loader=Loader)["Parameters"]
for name, p in params.items():
    desc = p.get("Description", "")
    m = re.match(r"^([A-Z][A-Z0-9_]+) - (.*)$", desc)
    setting, meaning = (f"`{m.group(1)}`", m.group(2)) if m else ("", desc)
    default = p.get("Default", "")
    default = f"`{default}`" if default != "" else "empty"
    meaning = meaning.replace("|", "\\\\|")
    print(f"| `{name}` | {default} | {setting} | {meaning} |")
