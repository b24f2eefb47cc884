"""Nothing in modules/ or examples/ uses what hashicorp/aws 4.x, 5.x or 6.x removed or deprecated.

The table, `aws_provider_removed.tsv` beside this file, lists for every provider argument, resource
type and data source type the configurations use what the provider's upgrade guides (and, for a
value, the issue that added it) say was removed or deprecated, with the source. This test reads
every .tf file under modules/ and examples/ with a small HCL scanner (block headers, the arguments
and nested blocks of each block as dotted paths, `data.aws_x.n.attr` and `aws_x.n.attr`
references, string literals) and fails, naming file:line and the source, on any use of a row,
unless the row's `allowed` column gives the reason it must stay. No emulator is needed.

The configurations are tested with hashicorp/aws 3.39.0 (the offline mirror); the table is what
keeps them honest about newer majors.
"""
import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TABLE = Path(__file__).resolve().parent / "aws_provider_removed.tsv"
SCANNED = ("modules", "examples")
CHANGES = {"removed", "deprecated", "requires", "reviewed"}
KINDS = {"provider", "resource", "data", "value"}


# --- HCL scanner ---------------------------------------------------------------------------------

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n")
OPERATORS = ("==", "!=", ">=", "<=", "=>", "&&", "||", "...")
OPEN, CLOSE = "([{", ")]}"


@dataclass
class Token:
    kind: str  # "ident", "string" (quoted or heredoc, raw text), "op" or "nl"
    value: str
    line: int


def tokenize(text: str) -> tuple[list[Token], str]:
    """The tokens of an HCL file, and its text with the comments blanked (for reference scans)."""
    tokens, blanked = [], list(text)
    n = len(text)

    def string_end(i: int) -> int:
        """Index just after the quote that closes the string whose body starts at i."""
        interpolations = []  # brace depth of each open ${ or %{
        while i < n:
            c = text[i]
            if interpolations:
                if c == '"':
                    i = string_end(i + 1)
                    continue
                if c == "{":
                    interpolations[-1] += 1
                elif c == "}":
                    interpolations[-1] -= 1
                    if interpolations[-1] == 0:
                        interpolations.pop()
            elif c == "\\":
                i += 1
            elif c in "$%" and text.startswith("{", i + 1):
                interpolations.append(1)
                i += 1
            elif c == '"':
                return i + 1
            i += 1
        return n

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if blanked[k] != "\n":
                blanked[k] = " "

    i, line = 0, 1
    while i < n:
        c = text[i]
        if c == "\n":
            tokens.append(Token("nl", c, line))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            line += text.count("\n", i, end)
            i = end
        elif c == '"':
            end = string_end(i + 1)
            tokens.append(Token("string", text[i + 1:end - 1], line))
            line += text.count("\n", i, end)
            i = end
        elif (m := HEREDOC.match(text, i)):
            body = j = m.end()
            while j < n:
                eol = text.find("\n", j)
                eol = n if eol < 0 else eol
                if text[j:eol].strip() == m.group(1):
                    break
                j = eol + 1
            tokens.append(Token("string", text[body:j], line))
            end = text.find("\n", j)
            end = n if end < 0 else end
            line += text.count("\n", i, end)
            i = end
        elif (m := IDENT.match(text, i)):
            tokens.append(Token("ident", m.group(0), line))
            i = m.end()
        else:
            op = next((o for o in OPERATORS if text.startswith(o, i)), c)
            tokens.append(Token("op", op, line))
            i += len(op)
    return tokens, "".join(blanked)


@dataclass
class Block:
    type: str
    labels: list
    line: int
    arguments: list = field(default_factory=list)  # (name, line)
    blocks: list = field(default_factory=list)


def _is_op(token: Token, value: str) -> bool:
    return token.kind == "op" and token.value == value


def _parse_body(tokens: list, i: int, block: Block) -> int:
    """Reads a block body from tokens[i] up to its closing brace; returns the index after it."""
    n = len(tokens)
    while i < n:
        token = tokens[i]
        if token.kind == "nl":
            i += 1
        elif _is_op(token, "}"):
            return i + 1
        elif token.kind == "ident" and i + 1 < n and _is_op(tokens[i + 1], "="):
            block.arguments.append((token.value, token.line))
            i += 2
            depth = 0  # skip the expression: up to the end of its line, brackets balanced
            while i < n:
                t = tokens[i]
                if t.kind == "op" and t.value in OPEN:
                    depth += 1
                elif t.kind == "op" and t.value in CLOSE:
                    if depth == 0:
                        break  # the end of a one-line block: `endpoints { ec2 = "..." }`
                    depth -= 1
                elif t.kind == "nl" and depth == 0:
                    break
                i += 1
        elif token.kind == "ident":
            j, labels = i + 1, []
            while j < n and tokens[j].kind in ("string", "ident"):
                labels.append(tokens[j].value)
                j += 1
            if j < n and _is_op(tokens[j], "{"):
                child = Block(token.value, labels, token.line)
                i = _parse_body(tokens, j + 1, child)
                block.blocks.append(child)
            else:
                i = j
        else:
            i += 1
    return i


def parse(text: str) -> list:
    """The top-level blocks of an HCL file."""
    tokens, _ = tokenize(text)
    root = Block("", [], 0)
    _parse_body(tokens, 0, root)
    return root.blocks


def argument_paths(block: Block, prefix: str = "") -> list:
    """(dotted path, line) of every argument and nested block; `dynamic "x"` counts as block x."""
    out = [(prefix + name, line) for name, line in block.arguments]
    for child in block.blocks:
        if child.type == "dynamic" and child.labels:
            name = child.labels[0]
            out.append((prefix + name, child.line))
            for content in child.blocks:
                if content.type == "content":
                    out.extend(argument_paths(content, f"{prefix}{name}."))
        else:
            out.append((prefix + child.type, child.line))
            out.extend(argument_paths(child, f"{prefix}{child.type}."))
    return out


REFERENCE = re.compile(
    r"(?<![\w.])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Use:
    kind: str  # provider, resource, data or value
    type: str
    argument: str
    value: str
    path: str
    line: int


def uses(text: str, path: str) -> list:
    """Every use in one file of a provider argument, a resource or data source argument, block
    or attribute, and every string literal (as a value)."""
    tokens, blanked = tokenize(text)
    found = []
    for block in parse(text):
        if block.type in ("resource", "data") and block.labels and block.labels[0].startswith("aws_"):
            kind, type_ = block.type, block.labels[0]
        elif block.type == "provider" and block.labels[:1] == ["aws"]:
            kind, type_ = "provider", "aws"
        else:
            continue
        found.append(Use(kind, type_, "*", "", path, block.line))
        found += [Use(kind, type_, name, "", path, line) for name, line in argument_paths(block)]
    for m in REFERENCE.finditer(blanked):
        found.append(Use("data" if m.group(1) else "resource", m.group(2), m.group(4), "", path,
                         blanked.count("\n", 0, m.start()) + 1))
    found += [Use("value", "", "", t.value, path, t.line) for t in tokens if t.kind == "string"]
    return found


# --- the table -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    kind: str
    type: str
    argument: str
    value: str
    change: str
    version: str
    replacement: str
    source: str
    allowed: str

    def matches(self, use: Use) -> bool:
        if self.change == "reviewed":
            return False
        if self.kind == "value":
            return use.kind == "value" and use.value == self.value
        return (use.kind, use.type, use.argument) == (self.kind, self.type, self.argument)

    def describe(self) -> str:
        what = f"{self.type}.{self.argument}" if self.kind != "value" else \
            f"{self.type}.{self.argument} = \"{self.value}\""
        change = (f"needs hashicorp/aws >= {self.version}" if self.change == "requires"
                  else f"{self.change} in hashicorp/aws {self.version}")
        return f"{self.kind} {what}: {change} (instead: {self.replacement}; source: {self.source})"


def load_table(path: Path = TABLE) -> list:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return [Row(**record) for record in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)]


def configuration_uses() -> list:
    found = []
    for top in SCANNED:
        for tf in sorted((REPO / top).rglob("*.tf")):
            found += uses(tf.read_text(), str(tf.relative_to(REPO)))
    return found


def matches(rows: list, found: list) -> list:
    return [(row, use) for row in rows for use in found if row.matches(use)]


# --- tests ---------------------------------------------------------------------------------------

def test_table_is_well_formed():
    rows = load_table()
    assert rows
    for row in rows:
        assert row.kind in KINDS, row
        assert row.change in CHANGES, row
        assert row.source.strip(), f"no source: {row}"
        if row.change != "reviewed":
            assert re.fullmatch(r"\d+\.\d+\.\d+", row.version), row
            assert row.replacement.strip(), row
        assert (row.kind == "value") == bool(row.value), row


def test_no_removed_or_deprecated_use():
    failures = [f"{use.path}:{use.line}: {row.describe()}"
                for row, use in matches(load_table(), configuration_uses()) if not row.allowed]
    assert not failures, "uses of what hashicorp/aws removed or deprecated:\n" + "\n".join(failures)


def test_allowed_exceptions_are_listed_and_still_needed():
    rows = [row for row in load_table() if row.allowed]
    found = configuration_uses()
    for row in rows:
        where = [f"{use.path}:{use.line}" for r, use in matches([row], found)]
        # Shown with -rA: every exception the configurations still rely on, and why.
        print(f"allowed: {row.describe()}\n  because: {row.allowed}\n  at: {', '.join(where)}")
        assert where, f"no longer used, remove the exception: {row.describe()}"


def test_every_type_used_was_reviewed():
    reviewed = {(row.kind, row.type) for row in load_table()}
    missing = sorted({f"{use.kind} {use.type} ({use.path}:{use.line})" for use in configuration_uses()
                      if use.kind != "value" and use.argument == "*"
                      and (use.kind, use.type) not in reviewed})
    assert not missing, ("types missing from aws_provider_removed.tsv; read the upgrade guides "
                         "for them and add their rows:\n" + "\n".join(missing))


PLANTED = '''
provider "aws" {
  region = "us-east-1" # skip_requesting_account_id = true (a comment, not a use)
  endpoints { sdb = "http://localhost" }
  skip_get_ec2_platforms = true
}

data "aws_iam_policy_document" "p" {
  dynamic "statement" {
    for_each = {}
    content {
      sid = "#not a comment"
    }
  }
  source_json = <<EOF
{"x": "${data.aws_region.here.name}"}
EOF
}

/* data.aws_region.commented.name is not a use */
resource "aws_lambda_function" "f" {
  runtime = "provided.al2023"
  environment {
    variables = { REGION = "${data.aws_region.current.name}" }
  }
}
'''


def test_scanner_finds_planted_uses():
    found = uses(PLANTED, "planted.tf")
    got = {(u.kind, u.type, u.argument, u.line) for u in found if u.kind != "value"}
    assert ("provider", "aws", "skip_get_ec2_platforms", 5) in got
    assert ("provider", "aws", "endpoints.sdb", 4) in got
    assert ("provider", "aws", "skip_requesting_account_id", 3) not in got
    assert ("data", "aws_iam_policy_document", "statement.sid", 12) in got
    assert ("data", "aws_iam_policy_document", "source_json", 15) in got
    assert ("data", "aws_region", "name", 16) in got  # inside a heredoc's interpolation
    assert ("data", "aws_region", "name", 24) in got  # inside a string's interpolation
    assert not any(u.line == 20 for u in found), "a use in a block comment"
    assert ("value", "provided.al2023", 22) in {(u.kind, u.value, u.line) for u in found}

    failures = {(use.line, row.argument or row.value) for row, use in matches(load_table(), found)}
    assert {(4, "endpoints.sdb"), (5, "skip_get_ec2_platforms"), (15, "source_json"),
            (16, "name"), (24, "name")} <= failures
    assert (22, "runtime") in failures


@pytest.mark.parametrize("path", [p for top in SCANNED for p in sorted((REPO / top).rglob("*.tf"))],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_scanner_reads_every_block(path):
    """Every `resource`/`data`/`provider` header in the file is one block the scanner parsed, so a
    construct it misreads cannot hide the rest of a file."""
    text = path.read_text()
    _, blanked = tokenize(text)
    headers = len(re.findall(r'^\s*(?:resource|data|provider)\s+"', blanked, re.M))
    parsed = sum(1 for b in parse(text) if b.type in ("resource", "data", "provider"))
    assert parsed == headers
