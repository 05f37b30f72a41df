"""The package's layout is its flow: rag's sub-packages import one way (serve -> answer -> index -> models,
all over the shared modules), so a newcomer reading ``rag.answer`` never meets the web server, and
``rag.models`` can be lifted out whole. Read from the source, not from what happens to be imported."""

import ast
from pathlib import Path

import rag

PACKAGE = Path(rag.__file__).resolve().parent
SHARED = {"settings", "errors", "paths", "prompts", "tokens", "text"}
# What each part may import besides itself: a layer sees the layers below it and the shared modules.
MAY_IMPORT = {
    "shared": SHARED,
    "models": SHARED,
    "index": SHARED | {"models"},
    "answer": SHARED | {"models", "index"},
    "serve": SHARED | {"models", "index", "answer", "assistant", "__init__"},
}


def part_of(module: Path) -> str:
    rel = module.relative_to(PACKAGE)
    if len(rel.parts) > 1:
        return rel.parts[0]
    return "shared" if module.stem in SHARED else module.stem


def imported_parts(module: Path) -> set[str]:
    """The parts of rag a module imports (relative or absolute), by the first name under rag."""
    package = list(module.relative_to(PACKAGE).parent.parts)
    parts = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                names = base + (node.module.split(".") if node.module else [])
                targets = [names] if node.module or base else [[alias.name] for alias in node.names]
            elif node.module and node.module.split(".")[0] == "rag":
                targets = [node.module.split(".")[1:] or [alias.name for alias in node.names][:1]]
            else:
                continue
        elif isinstance(node, ast.Import):
            targets = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == "rag"]
        else:
            continue
        for names in targets:
            if names:
                parts.add("__init__" if names[0] in ("Assistant", "Settings", "SettingsError") else names[0])
    return parts


def test_each_layer_imports_only_the_layers_below_it_and_the_shared_modules():
    wrong = []
    for module in sorted(PACKAGE.rglob("*.py")):
        part = part_of(module)
        if part not in MAY_IMPORT:  # the public API and its entry points (assistant, __init__, __main__)
            continue
        own = {part} if part != "shared" else SHARED
        for target in imported_parts(module) - own - MAY_IMPORT[part]:
            wrong.append(f"{module.relative_to(PACKAGE)} ({part}) imports rag.{target}")
    assert not wrong, "\n".join(wrong)


def test_the_rules_see_the_imports_they_judge():
    """The reader resolves relative imports: the answer pipeline is seen importing the index and models."""
    seen = imported_parts(PACKAGE / "answer" / "pipeline.py")
    assert {"index", "models", "answer", "settings"} <= seen
    assert imported_parts(PACKAGE / "serve" / "web.py") >= {"__init__", "serve"}
    assert not {"answer", "serve"} & imported_parts(PACKAGE / "index" / "ingest.py")
