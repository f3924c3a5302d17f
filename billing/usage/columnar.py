"""Validation of a whole usage CSV at once, column by column, with Apache Arrow; no database.

Arrow parses the file on all cores (its CSV dialect is Python's csv module's: a quote counts only
at the start of a field). What depends on a few distinct values (dates; customer, subscription
and currency; charge types) is judged by `validation.Validator` once per distinct value. A line is
"plain" when its text needs no stripping, no formula check and no length check, and its numbers
are in plain notation within the limits: that is every line of a normal Partner Center file, and
its columns are taken as they are. Every other line goes through `Validator.check` itself, so
its problems, messages and stored values are the line-by-line path's by construction. Nothing
is hashed here: duplicates within the file are found on the joined key fields by Arrow, and the
stored natural key is computed by the database (UsageLine.natural_key).

`stream` gives the rows of a valid file a slice at a time while Arrow still reads the rest, for
a load that runs alongside (billing/usage_pg.py); it stops at the first problem. `read` parses
the whole file, and `UsageFile.check` then lists every problem or gives every row. Both stop
(Fallback, None) at a file whose lines Arrow could split differently from Python (line breaks
inside quotes, blank lines, lone carriage returns, a wrong number of values …); the caller then
takes the line-by-line path, which reports such lines exactly.
"""

import codecs
import csv
import functools
import logging
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from billing.usage import validation

log = logging.getLogger(__name__)

# What str.strip() strips (str.isspace).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
SEP = "\x1f"  # between the key fields of a line's identity (validation.line_identity)
_WS = "[" + re.escape(WHITESPACE) + "]"
_FORMULA = "^[=+@\\t\\r-]"  # validation.FORMULA_PREFIXES
_PLAIN_NUMBER = {
    name: ("^-?" if name == "BillingPreTaxTotal" else "^")
    + f"[0-9]{{1,{validation.INTEGER_DIGITS[name]}}}"
    + f"(\\.[0-9]{{1,{validation.DECIMALS[name]}}})?$"
    for name in validation.NUMERIC
}

NUMBER = pa.decimal128(28, validation.MAX_DECIMALS)  # UsageLine's DecimalField(28, 10)
UNIT_PRICE = pa.decimal128(38, validation.DECIMALS["UnitPrice"])  # DecimalField(38, 22)
# The loaded rows: validation.COLUMNS.
SCHEMA = pa.schema(
    [
        ("reseller_id", pa.int64()),
        ("customer_id", pa.int64()),
        ("subscription_id", pa.int64()),
        ("usage_date", pa.date32()),
        *[
            (
                name,
                UNIT_PRICE
                if name == "unit_price"
                else NUMBER
                if name in ("quantity", "billing_pre_tax_total")
                else pa.string(),
            )
            for name in validation.COLUMNS[4:21]
        ],
        ("is_marketplace", pa.bool_()),
    ]
)
assert SCHEMA.names == list(validation.COLUMNS)  # noqa: S101 - a mistake here is ours
# CSV header → its column in SCHEMA (text and numbers taken as they are on a plain line).
_TAKEN = {
    "MeterCategory": "meter_category",
    "MeterSubCategory": "meter_sub_category",
    "MeterName": "meter_name",
    "MeterId": "meter_id",
    "MeterRegion": "meter_region",
    "ResourceGroup": "resource_group",
    "ResourceURI": "resource_uri",
    "Tags": "tags",
    "Quantity": "quantity",
    "UnitOfMeasure": "unit_of_measure",
    "UnitPrice": "unit_price",
    "BillingPreTaxTotal": "billing_pre_tax_total",
    "ChargeType": "charge_type",
    "ProductId": "product_id",
    "SkuId": "sku_id",
    "AvailabilityId": "availability_id",
}


@dataclass
class Checked:
    lines: int
    errors: list[dict] = field(default_factory=list)
    rows: pa.Table | None = None  # SCHEMA; None when there are errors
    marketplace: int = 0


class Fallback(Exception):
    """The file needs the line-by-line path."""


class Problem(Exception):
    """A line has a problem (`UsageFile.check` lists them all)."""


def stream(data: bytes, known: validation.Known, size: int) -> Iterator[pa.Table]:
    """The rows of a valid file, `size` lines at a time, while Arrow reads it: raises Problem
    at the first line with a problem (duplicates are left to the table's unique index),
    Fallback for a file to read line by line, FileProblem for wrong headers."""
    refs = {}  # shared by the slices: each customer, subscription and currency judged once
    for table in _parsed(data):
        part = UsageFile(table, known, refs=refs)
        if not part.may_stream:
            raise Problem
        yield from part.batches(size)


def read(data: bytes, known: validation.Known) -> "UsageFile | None":
    """The whole file, or None: take the line-by-line path. Raises FileProblem for wrong
    headers."""
    started = time.perf_counter()
    try:
        table = pa.concat_tables(_parsed(data))
    except Fallback:
        return None
    log.debug("%6.2f s  parsed", time.perf_counter() - started)
    return UsageFile(table, known)


def _parsed(data: bytes) -> Iterator[pa.Table]:
    """The lines as text columns named by the header, a block at a time; Fallback for what
    only Python's reader reads right."""
    header = _header(data)
    if header is None:
        raise Fallback
    names, body = header
    columns = [f"f{i}" for i in range(len(names))]
    read = [name for name in names if name is not None]  # Partner Center's others left out
    with ThreadPoolExecutor(max_workers=1) as pool:  # counts the lines while Arrow parses
        lines, parsed = pool.submit(_lines, body), 0
        try:
            for batch in pcsv.open_csv(pa.py_buffer(body), **_options(columns, names)):
                parsed += batch.num_rows
                yield pa.Table.from_batches([batch]).rename_columns(read)
        except pa.ArrowInvalid:
            raise Fallback from None  # a wrong number of values, bad UTF-8, no line …
        if parsed != lines.result():
            raise Fallback  # line breaks inside quotes or alone


def _options(columns: list[str], names: list[str | None]) -> dict:
    return {
        "read_options": pcsv.ReadOptions(column_names=columns, block_size=8 << 20),
        # A blank line is a line of empty values here, skipped by Python: see _odd_rows.
        "parse_options": pcsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
        "convert_options": pcsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()),
            include_columns=[c for c, name in zip(columns, names, strict=True) if name],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    }


def _header(data: bytes) -> tuple[list[str | None], memoryview] | None:
    """(header names, body), or None for what only Python reads right."""
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    end = data.find(b"\n", start)
    if end < 0:
        return None
    header = data[start:end].removesuffix(b"\r")
    if not header.strip() or b'"' in header or b"\r" in header or b"\0" in data:
        return None
    try:
        names = validation.header_names(next(csv.reader([header.decode()])))
    except (UnicodeDecodeError, validation.FileProblem):
        return None  # the line-by-line path says what is wrong (the encoding first)
    return names, memoryview(data)[end + 1 :]


def _lines(body: memoryview) -> int:
    """Lines of the body. (A lone carriage return ends a record for both readers, so it shows
    as more records than lines; inside quotes it is caught with the other line breaks in
    values, see _odd_rows.)"""
    data = body.obj
    return data.count(b"\n", len(data) - len(body)) + (0 if data.endswith(b"\n") else 1)


@dataclass
class _Distinct:
    """A column's distinct values judged once: `values` (columns) and `errors` per distinct
    value; `per_line` spreads one of them over the lines."""

    column: pa.ChunkedArray | pa.Array
    distinct: pa.Array
    values: list[pa.Array]
    errors: pa.Array

    @functools.cached_property
    def index(self) -> pa.Array:
        index = pc.index_in(self.column, value_set=self.distinct)
        return index.combine_chunks() if isinstance(index, pa.ChunkedArray) else index

    def per_line(self, values: pa.Array, offset: int = 0, length: int | None = None):
        return pc.take(values, self.index.slice(offset, length))

    @property
    def has_errors(self) -> bool:
        return bool(pc.max(self.errors).as_py()) if len(self.errors) else False


class UsageFile:
    """Lines of a usage file (or a slice of one, `refs` then shared between the slices: a
    customer, subscription and currency judged once)."""

    def __init__(self, table: pa.Table, known: validation.Known, refs: dict | None = None):
        self.table, self.known, self.lines = table, known, table.num_rows
        self.v = validation.Validator(known=known, sink=lambda row: None)
        self.judged_refs = {} if refs is None else refs
        self.dates, self.refs = self._dates(), self._refs()
        self.marketplace_types = pa.array(
            [
                ct
                for ct in pc.unique(self.col("ChargeType")).to_pylist()
                if validation.is_marketplace(ct)
            ],
            pa.string(),
        )

    def col(self, name: str, table: pa.Table | None = None):
        table = self.table if table is None else table
        return table.column(name) if name in table.column_names else pa.scalar("")

    def row(self, i: int) -> dict[str, str]:
        return {name: self.table.column(name)[i].as_py() for name in self.table.column_names}

    @property
    def may_stream(self) -> bool:
        """No distinct value is wrong (the lines judged in Python may still be)."""
        return not (self.dates.has_errors or self.refs.has_errors)

    def batches(self, size: int) -> Iterator[pa.Table]:
        """The rows, `size` lines at a time; raises Problem at the first line with a problem
        (duplicates are left to the table's unique index)."""
        for offset in range(0, self.lines, size):
            part = self.table.slice(offset, size)
            odd_lines = pc.indices_nonzero(self._odd(part)).to_pylist()
            python_rows = self._odd_rows(offset, odd_lines, firsts={})
            if python_rows is None:
                raise Problem
            yield self._rows(part, odd_lines, python_rows, offset)

    def check(self) -> Checked:
        """All problems in the line-by-line path's words, or all rows."""
        started = time.perf_counter()
        odd_lines = pc.indices_nonzero(self._odd(self.table)).to_pylist()
        identities, firsts = self._duplicates(odd_lines)
        odd_problems: dict[int, int] = {}
        python_rows = self._odd_rows(0, odd_lines, firsts, problems=odd_problems)
        log.debug("%6.2f s  checked %s lines", time.perf_counter() - started, self.lines)
        if not self.may_stream or firsts or python_rows is None:
            problems = self._problems(identities, firsts, odd_problems)
            if problems:
                return Checked(lines=self.lines, errors=self._messages(problems, firsts))
        rows = self._rows(self.table, odd_lines, python_rows)
        return Checked(
            lines=self.lines,
            rows=rows,
            marketplace=pc.sum(rows.column("is_marketplace")).as_py() or 0,
        )

    def _duplicates(self, odd_lines: list[int]) -> tuple[list[str], dict[str, int]]:
        """Each line's identity (validation.line_identity) and the first line of each identity
        that appears more than once. A file without duplicates is told by Arrow alone (the
        identities are then not made into Python strings)."""
        joined = pc.binary_join_element_wise(
            *(self._full(self.table, n) for n in validation.KEY_FIELDS), SEP
        )
        if not odd_lines and pc.count_distinct(joined).as_py() == self.lines:
            return [], {}
        identities = joined.to_pylist()
        for i in odd_lines:  # stripped as Python strips them
            identities[i] = validation.line_identity(self.row(i))
        return identities, _firsts(identities)

    def _odd(self, table: pa.Table) -> pa.Array:
        """Lines that are not plain (see the module's docstring). A text column is judged on
        its distinct values, with anchored patterns only (RE2 looks at a value's first or last
        character, not at all of it); numbers, nearly all distinct, on every line."""
        odd = []
        for name in table.column_names:
            column = table.column(name)
            if name in _PLAIN_NUMBER:
                odd.append(pc.invert(pc.match_substring_regex(column, _PLAIN_NUMBER[name])))
                continue
            encoded = pc.dictionary_encode(column.combine_chunks())
            values, tests = encoded.dictionary, []
            if name in validation.KEY_FIELDS:  # stripped for the key
                tests += [
                    pc.match_substring_regex(values, f"^{_WS}"),
                    pc.match_substring_regex(values, f"{_WS}$"),
                ]
            if name in validation.TEXT:
                tests.append(pc.match_substring_regex(values, _FORMULA))
            if name in validation.TEXT_LIMITS:  # bytes ≥ characters: Python judges the rest
                tests.append(pc.greater(pc.binary_length(values), validation.TEXT_LIMITS[name]))
            if name in ("MeterId", "ChargeType"):
                tests.append(pc.equal(values, ""))
            tests.append(pc.match_substring_regex(values, "[\r\n]"))  # a quoted line break
            if tests:
                odd.append(pc.take(functools.reduce(pc.or_, tests), encoded.indices))
        return functools.reduce(pc.or_, odd)

    def _odd_rows(self, offset, odd_lines, firsts, problems=None) -> list[tuple] | None:
        """Python's rows for the lines that are not plain; None if any has a problem (counted
        in `problems` by index when given)."""
        rows = []
        v = validation.Validator(known=self.known, sink=rows.append)
        for i in odd_lines:
            row = self.row(offset + i)
            if not any(row.values()):
                raise Fallback  # a blank line, which Python skips (or a line of commas)
            if any("\r" in value or "\n" in value for value in row.values()):
                raise Fallback  # a line break inside quotes: Python counts lines otherwise
            identity = validation.line_identity(row)
            v._keys = {identity: firsts.get(identity, offset + i + 2)}
            before = v.error_count
            v.check(offset + i + 2, row)
            if v.error_count != before:
                if problems is None:
                    return None
                problems[offset + i] = v.error_count - before
        return None if problems else rows

    def _dates(self) -> _Distinct:
        """Each distinct UsageDate judged once."""
        texts = pc.unique(self.col("UsageDate"))
        values, errors = [], []
        for raw in texts.to_pylist():
            before = self.v.error_count
            values.append(self.v.check_date(0, raw))
            errors.append(self.v.error_count - before)
        return _Distinct(
            self.col("UsageDate"),
            texts,
            [pa.array(values, pa.date32())],
            pa.array(errors, pa.int32()),
        )

    def _refs(self) -> _Distinct:
        """Each distinct (CustomerId, SubscriptionId, BillingCurrency) judged once: reseller,
        customer, subscription, currency. A combination is one number made of the three
        columns' dictionary codes."""
        names = ("CustomerId", "SubscriptionId", "BillingCurrency")
        encoded = [pc.dictionary_encode(self.col(n)).combine_chunks() for n in names]
        code = pa.scalar(0, pa.int64())
        for column in encoded:
            code = pc.add(
                pc.multiply(code, len(column.dictionary)), pc.cast(column.indices, pa.int64())
            )
        codes = pc.unique(code)
        resolved, errors = [], []
        for combined in codes.to_pylist():
            parts = []
            for column in reversed(encoded):
                combined, i = divmod(combined, len(column.dictionary))
                parts.insert(0, column.dictionary[i].as_py())
            judged = self.judged_refs.get(tuple(parts))
            if judged is None:
                judged = self.judged_refs[tuple(parts)] = self._judge_refs(parts)
            resolved.append(judged[0])
            errors.append(judged[1])
        columns = [
            pa.array(c, t)
            for c, t in zip(
                zip(*resolved, strict=True) if resolved else ([], [], [], []),
                (pa.int64(), pa.int64(), pa.int64(), pa.string()),
                strict=True,
            )
        ]
        return _Distinct(code, codes, columns, pa.array(errors, pa.int32()))

    def _judge_refs(self, parts: list[str]) -> tuple[tuple, int]:
        before = self.v.error_count
        customer, subscription, currency = self.v.check_refs(0, *parts)
        if self.v.error_count == before and subscription is not None:
            return (customer.reseller_id, customer.id, subscription.id, currency), 0
        return (None, None, None, None), self.v.error_count - before

    def _problems(self, identities, firsts, odd_problems) -> list[tuple[int, int]]:
        """(line, number of problems) of the lines with any, in line order."""
        counts = pc.add(
            self.dates.per_line(self.dates.errors), self.refs.per_line(self.refs.errors)
        ).to_pylist()
        for i, identity in enumerate(identities) if firsts else ():
            first = firsts.get(identity)
            if first is not None and first != i + 2:
                counts[i] += 1
        for i, n in odd_problems.items():
            counts[i] = n  # Python judged the whole line
        return [(i + 2, n) for i, n in enumerate(counts) if n]

    def _messages(self, problems, firsts) -> list[dict]:
        """The problems of the first lines, in Python's words, and how many more there are."""
        total = sum(n for _, n in problems)
        v = validation.Validator(known=self.known, sink=lambda row: None)
        shown = 0
        for line, n in problems:
            if shown >= validation.MAX_ERRORS:
                break
            row = self.row(line - 2)
            identity = validation.line_identity(row)
            v._keys = {identity: firsts.get(identity, line)}
            v.check(line, row)
            shown += n
        if total > len(v.errors):
            v.errors.append(
                validation.problem(
                    None, "file", f"… and {total - len(v.errors)} more problems not listed."
                )
            )
        return v.errors

    def _rows(self, part, odd_lines, python_rows, offset: int = 0) -> pa.Table:
        """Rows (SCHEMA) of the lines of `part`: plain lines as they are, the others as Python
        made them."""
        reseller, customer, subscription, currency = (
            self.refs.per_line(values, offset, part.num_rows) for values in self.refs.values
        )
        columns = {
            "reseller_id": reseller,
            "customer_id": customer,
            "subscription_id": subscription,
            "usage_date": self.dates.per_line(self.dates.values[0], offset, part.num_rows),
            **{column: self._full(part, header) for header, column in _TAKEN.items()},
            "currency": currency,
            "is_marketplace": pc.is_in(
                self.col("ChargeType", part), value_set=self.marketplace_types
            ),
        }
        rows = pa.table({name: columns[name] for name in SCHEMA.names})
        if not odd_lines:
            return rows.cast(SCHEMA)
        plain = pc.invert(pc.is_in(pa.array(range(part.num_rows)), value_set=pa.array(odd_lines)))
        return pa.concat_tables([rows.filter(plain).cast(SCHEMA), from_python(python_rows)])

    def _full(self, part: pa.Table, name: str):
        value = self.col(name, part)
        return value if not isinstance(value, pa.Scalar) else pa.repeat(value, part.num_rows)


def _firsts(identities: list[str]) -> dict[str, int]:
    """First line of each identity that appears more than once."""
    firsts: dict[str, int] = {}
    seen: dict[str, int] = {}
    for i, identity in enumerate(identities):
        if identity in seen:
            firsts[identity] = seen[identity]
        else:
            seen[identity] = i + 2
    return firsts


def from_python(rows: list[tuple]) -> pa.Table:
    """Rows of Validator's sink (validation.COLUMNS) in SCHEMA."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in SCHEMA]
    return pa.table(columns, schema=SCHEMA)


def months(rows: pa.Table) -> set[tuple[int, date]]:
    """(reseller id, first day of the month) of the rows, for usage_summary.refresh."""
    pairs = pa.table(
        {
            "r": rows.column("reseller_id"),
            "m": pc.floor_temporal(rows.column("usage_date"), unit="month"),
        }
    )
    return set(zip(*pairs.group_by(["r", "m"]).aggregate([]).to_pydict().values(), strict=True))


def months_of(rows: pa.Table) -> set[date]:
    """First days of the months of the rows' usage dates."""
    return set(pc.unique(pc.floor_temporal(rows.column("usage_date"), unit="month")).to_pylist())


def monthly_sums(rows: pa.Table) -> pa.Table:
    """Non-marketplace quantities, totals and lines per (subscription, month, meter, currency)
    and meter names, for UsageSummary."""
    usage = rows.filter(pc.invert(rows.column("is_marketplace")))
    usage = usage.append_column(
        "month", pc.floor_temporal(usage.column("usage_date"), unit="month")
    )
    keys = [
        "reseller_id",
        "customer_id",
        "subscription_id",
        "month",
        "meter_id",
        "currency",
        "meter_category",
        "meter_sub_category",
        "meter_name",
        "unit_of_measure",
    ]
    return usage.group_by(keys, use_threads=False).aggregate(
        [("quantity", "sum"), ("billing_pre_tax_total", "sum"), ("is_marketplace", "count")]
    )


def add_sums(sums: pa.Table) -> pa.Table:
    """Monthly sums of several batches, summed."""
    keys = sums.column_names[:10]
    return (
        sums.group_by(keys, use_threads=False)
        .aggregate(
            [
                ("quantity_sum", "sum"),
                ("billing_pre_tax_total_sum", "sum"),
                ("is_marketplace_count", "sum"),
            ]
        )
        .rename_columns(sums.column_names)
    )
