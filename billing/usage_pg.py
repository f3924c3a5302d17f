"""Set-based validation and load of a usage CSV on PostgreSQL.

The raw file goes by COPY into a temporary table of text columns numbered by line; the checks
of `usage_csv.Validator` then run in SQL over the whole table. What depends on a few distinct
values (dates; customer, subscription and currency; charge types; numbers not in plain
notation) is decided by the Validator itself, once per distinct value, and joined back. The
messages of a rejected file are written by the Validator from the raw text of the bad lines,
so they are the line-by-line path's, word for word; the natural key is the same
(first 128 bits of the) sha256.

`run` returns None for a file that PostgreSQL's CSV parser could read differently from
Python's (quoted line breaks, blank lines, stray quotes, a wrong number of values …); the
caller then takes the line-by-line path, which reports such lines exactly.
"""
# SQL text is built from our own column names and constants; file data is always COPY data or a
# query parameter.
# ruff: noqa: S608

import codecs
import csv
import logging
import re
import time
import uuid
from dataclasses import dataclass

import psycopg2
from django.db import connection, transaction
from psycopg2.extras import execute_values

from billing import usage_csv
from billing.models import UsageLine

log = logging.getLogger(__name__)

# What str.strip() strips (str.isspace), for btrim.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# Numbers SQL judges itself; any other notation is judged by Python's Decimal.
PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_QUOTED = re.compile(rb'"[^"\r\n]*(?:""[^"\r\n]*)*"')


@dataclass
class Outcome:
    lines: int
    errors: list[dict]
    inserted: int = 0
    valid: int = 0
    marketplace: int = 0


class _Fallback(Exception):
    """The file needs the line-by-line path."""


class _Reader:
    """File-like view of bytes for COPY, without copying them."""

    def __init__(self, data: memoryview):
        self.data, self.pos = data, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size is None or size < 0 else self.pos + size
        chunk = self.data[self.pos:end].tobytes()
        self.pos += len(chunk)
        return chunk


def _split(data: bytes) -> tuple[list[str], memoryview, int] | None:
    """(header names, body, physical lines of the body) if COPY reads the file as Python's csv
    module does, one record per line; else None. Raises FileProblem for wrong headers."""
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    end = data.find(b"\n", start)
    if end < 0:
        return None
    header = data[start:end].removesuffix(b"\r")
    if not header.strip() or b'"' in header or b"\r" in header:
        return None
    body = memoryview(data)[end + 1:]
    if data.count(b"\r") != data.count(b"\r\n"):
        return None  # a lone carriage return ends a line for Python only
    if data.find(b"\n\n", end) >= 0 or data.find(b"\n\r\n", end) >= 0:
        return None  # blank lines
    if b"\0" in data:
        return None
    if data.find(b'"', end) >= 0 and not _well_quoted(body):
        return None
    names = usage_csv.header_names(next(csv.reader([header.decode()])))
    lines = data.count(b"\n", end + 1) + (0 if data.endswith(b"\n") else 1)
    return names, body, lines


def _well_quoted(body: memoryview) -> bool:
    """Every quote belongs to a quoted field that is a whole field (both parsers agree on
    those; they differ on a quote inside an unquoted field)."""
    marked = _QUOTED.sub(b"\0", body)
    n = marked.count(b"\0")
    return (b'"' not in marked
            and marked.count(b",\0") + marked.count(b"\n\0") + marked.startswith(b"\0") == n
            and marked.count(b"\0,") + marked.count(b"\0\n") + marked.count(b"\0\r\n")
            + marked.endswith(b"\0") == n)


class _Sql:
    """SQL expressions over the raw table `s` (columns f0 … fn in file order). Cheap tests on
    concatenated fields come first; the exact test of each field runs only when they fire."""

    def __init__(self, names: list[str]):
        self.index = {name: i for i, name in enumerate(names)}

    def __call__(self, name: str) -> str:
        i = self.index.get(name)
        return "''" if i is None else f"s.f{i}"

    def stripped(self, name: str) -> str:
        return f"btrim({self(name)}, %(ws)s)"

    def _cat(self, names, strip=False) -> str:
        return "concat_ws(%(sep)s, " + ", ".join(
            self.stripped(n) if strip else self(n) for n in names) + ")"

    def key(self) -> str:
        raw = self._cat(usage_csv.KEY_FIELDS)
        return (f"substring(sha256(convert_to(CASE WHEN {raw} ~ %(edge)s THEN "
                f"{self._cat(usage_csv.KEY_FIELDS, strip=True)} ELSE {raw} END, 'UTF8')) "
                f"FROM 1 FOR 16)")

    def numbers(self) -> str:
        return "concat_ws(',', " + ", ".join(self(n) for n in usage_csv.NUMERIC) + ")"

    def local_errors(self) -> str:
        """Number of problems of a line found in its own text (Validator.check_text, and the
        numbers when all three are in plain notation, `odd` false)."""
        text = [n for n in usage_csv.TEXT if n in self.index]
        formula = " + ".join(f"(left({self(n)}, 1) = ANY(%(formula)s))::int" for n in text)
        terms = [f"(CASE WHEN {self._cat(text)} ~ %(formula_re)s THEN {formula} ELSE 0 END)"]
        for name, limit in usage_csv.TEXT_LIMITS.items():
            if name in self.index:
                v = self(name)
                terms.append(f"(octet_length({v}) > {int(limit)} AND length({v}) > {int(limit)}"
                             f")::int")
        for name in ("MeterId", "ChargeType"):
            v = self(name)
            terms.append(f"({v} = '' OR (left({v}, 1) = ANY(%(ws_chars)s) AND "
                         f"{self.stripped(name)} = ''))::int")
        numbers, guarded = [], []
        for name in usage_csv.NUMERIC:
            v = self(name)
            negative = ("" if name == "BillingPreTaxTotal"
                        else f" OR ({v} LIKE '-%%' AND {v} ~ '[1-9]')")
            check = (f"(length(split_part({v}, '.', 2)) > {usage_csv.MAX_DECIMALS} OR "
                     f"length(ltrim(split_part(ltrim({v}, '-'), '.', 1), '0')) > "
                     f"{usage_csv.MAX_INTEGER_DIGITS}{negative})::int")
            numbers.append(check)
            guarded.append(f"(CASE WHEN {v} ~ %(plain)s THEN {check} ELSE 0 END)")
        # `odd`: a number in another notation (judged in Python); the plain ones still count.
        terms.append(f"(CASE WHEN odd THEN {' + '.join(guarded)} "
                     f"WHEN numbers ~ '[0-9]{{11}}|-' THEN {' + '.join(numbers)} ELSE 0 END)")
        return " + ".join(terms)


def run(import_id: int, data: bytes, known: usage_csv.Known) -> Outcome | None:
    started = time.perf_counter()
    split = _split(data)
    log.debug("%6.2f s  read the file's layout", time.perf_counter() - started)
    if split is None:
        return None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            return _Run(cursor.cursor, import_id, known, *split).run()
    except _Fallback as e:
        log.info("Usage import %s: line-by-line path (%s)", import_id, e)
        return None


class _Run:
    def __init__(self, cursor, import_id, known, names, body, lines):
        self.cursor, self.import_id, self.known = cursor, import_id, known
        self.names, self.body, self.lines = names, body, lines
        self.sql = _Sql(names)
        self.params = {
            "ws": WHITESPACE, "ws_chars": list(WHITESPACE), "sep": "\x1f",
            "edge": f"(^|\x1f)[{WHITESPACE}]|[{WHITESPACE}](\x1f|$)",
            "plain": PLAIN_NUMBER, "plain3": PLAIN_NUMBER.removesuffix("$") + ","
                     + PLAIN_NUMBER[1:-1] + "," + PLAIN_NUMBER[1:],
            "formula": sorted(usage_csv.FORMULA_PREFIXES),
            "formula_re": "(^|\x1f)[=+@\t\r-]"}

    def execute(self, sql: str, params=None):
        started = time.perf_counter()
        self.cursor.execute(sql, params if params is not None else self.params)
        self._took(sql, started)

    def _took(self, what: str, started: float) -> None:
        seconds = time.perf_counter() - started
        if seconds > 0.05:
            log.debug("%6.2f s  %s", seconds, " ".join(what.split())[:60])

    def run(self) -> Outcome:
        outcome = self._run()
        self.execute("DROP TABLE IF EXISTS usage_raw, usage_checked, usage_dups, usage_dates, "
                     "usage_refs, usage_numbers", ())
        return outcome

    def _run(self) -> Outcome:
        c = self.cursor
        self.execute("SET LOCAL work_mem = '256MB'", ())
        fields = [f"f{i}" for i in range(len(self.names))]
        self.execute(f"CREATE TEMP TABLE usage_raw (line integer GENERATED ALWAYS AS IDENTITY "
                     f"(START WITH 2), {', '.join(f + ' text' for f in fields)}) ON COMMIT DROP",
                     ())
        started = time.perf_counter()
        try:
            c.copy_expert(f"COPY usage_raw ({', '.join(fields)}) FROM STDIN WITH (FORMAT csv, "
                          f"FORCE_NOT_NULL ({', '.join(fields)}))", _Reader(self.body))
        except psycopg2.Error as e:
            raise _Fallback(str(e).splitlines()[0]) from e
        self._took("COPY", started)
        if c.rowcount != self.lines:
            raise _Fallback(f"{c.rowcount} records on {self.lines} lines")
        if not self.lines:
            return Outcome(lines=0, errors=[])

        sql = self.sql
        self.execute(f"CREATE TEMP TABLE usage_checked ON COMMIT DROP AS SELECT s.line, "
                     f"{sql.key()} AS key, {sql.local_errors()} AS nerr, odd FROM ("
                     f"SELECT *, numbers !~ %(plain3)s AS odd FROM (SELECT *, {sql.numbers()} "
                     f"AS numbers FROM usage_raw s OFFSET 0) s OFFSET 0) s")
        bad_values = self._distinct_values()
        self.execute("CREATE TEMP TABLE usage_dups ON COMMIT DROP AS SELECT key, min(line) AS "
                     "first FROM usage_checked GROUP BY key HAVING count(*) > 1", ())
        self.execute("SELECT EXISTS (SELECT FROM usage_checked WHERE nerr > 0) OR EXISTS "
                     "(SELECT FROM usage_dups)", ())
        if c.fetchone()[0] or bad_values:
            return Outcome(lines=self.lines, errors=self._errors())
        return self._insert()

    def _distinct_values(self) -> bool:
        """Judge distinct dates, customer/subscription/currency and charge types (and numbers
        in another notation) with the Validator; True if any is wrong."""
        sql = self.sql
        self.execute(f"SELECT GROUPING(d, cu, su, cy, ct), d, cu, su, cy, ct, count(*) FROM ("
                     f"SELECT {sql('UsageDate')} d, {sql('CustomerId')} cu, "
                     f"{sql('SubscriptionId')} su, {sql('BillingCurrency')} cy, "
                     f"{sql('ChargeType')} ct FROM usage_raw s) x "
                     f"GROUP BY GROUPING SETS ((d), (cu, su, cy), (ct))", ())
        v = usage_csv.Validator(known=self.known, sink=lambda row: None)
        dates, refs, self.marketplace_types, self.marketplace = [], [], [], 0
        for grouping, d, cu, su, cy, ct, count in self.cursor.fetchall():
            before = v.error_count
            if grouping == 0b01111:
                dates.append((d, v.check_date(0, d), v.error_count - before))
            elif grouping == 0b10001:
                customer, subscription, currency = v.check_refs(0, cu, su, cy)
                ok = v.error_count == before
                refs.append((cu, su, cy, customer.id if ok else None,
                             customer.reseller_id if ok else None,
                             subscription.id if ok else None, currency, v.error_count - before))
            elif usage_csv.is_marketplace(ct):
                self.marketplace_types.append(ct)
                self.marketplace += count
        self._table("usage_dates", "raw text, d date, nerr int", dates)
        self._table("usage_refs", "cu text, su text, cy text, customer_id bigint, "
                                  "reseller_id bigint, subscription_id bigint, currency text, "
                                  "nerr int", refs)
        numbers = []
        self.execute("SELECT EXISTS (SELECT FROM usage_checked WHERE odd)", ())
        self.odd_numbers = self.cursor.fetchone()[0]
        if self.odd_numbers:
            self.execute(" UNION ".join(
                f"SELECT '{name}', {sql(name)} FROM usage_raw s JOIN usage_checked USING (line) "
                f"WHERE odd AND {sql(name)} !~ %(plain)s" for name in usage_csv.NUMERIC))
            for name, raw in self.cursor.fetchall():
                before = v.error_count
                number = v.check_number(0, name, raw)
                numbers.append((name, raw, None if number is None else str(number),
                                v.error_count - before))
        self._table("usage_numbers", "name text, raw text, v text, nerr int", numbers)
        return v.error_count > 0

    def _table(self, name: str, columns: str, rows: list[tuple]) -> None:
        self.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP", ())
        if rows:
            execute_values(self.cursor, f"INSERT INTO {name} VALUES %s", rows,
                           page_size=5000)
        self.execute(f"ANALYZE {name}", ())

    def _number(self, name: str) -> str:
        """The text of a valid number of column `name`, for a cast."""
        v = self.sql(name)
        if not self.odd_numbers:
            return v
        return (f"COALESCE((SELECT n.v FROM usage_numbers n WHERE n.name = '{name}' "
                f"AND n.raw = {v}), {v})")

    def _errors(self) -> list[dict]:
        sql = self.sql
        odd = " + ".join(f"COALESCE((SELECT n.nerr FROM usage_numbers n WHERE n.name = '{n}' "
                         f"AND n.raw = {sql(n)}), 0)" for n in usage_csv.NUMERIC)
        self.execute(f"SELECT line, n FROM (SELECT s.line, c.nerr + dt.nerr + r.nerr "
                     f"+ (CASE WHEN c.odd THEN {odd} ELSE 0 END) "
                     f"+ (dp.first IS NOT NULL AND s.line > dp.first)::int AS n "
                     f"FROM usage_raw s JOIN usage_checked c USING (line) "
                     f"JOIN usage_dates dt ON dt.raw = {sql('UsageDate')} "
                     f"JOIN usage_refs r ON (r.cu, r.su, r.cy) = ({sql('CustomerId')}, "
                     f"{sql('SubscriptionId')}, {sql('BillingCurrency')}) "
                     f"LEFT JOIN usage_dups dp ON dp.key = c.key) x WHERE n > 0 ORDER BY line")
        counts, shown, total = {}, 0, 0
        for line, n in self.cursor.fetchall():
            total += n
            if shown < usage_csv.MAX_ERRORS:
                counts[line] = n
                shown += n
        lines = list(counts)
        self.execute("SELECT c.key, d.first FROM usage_checked c JOIN usage_dups d "
                     "USING (key) WHERE c.line = ANY(%s)", (lines,))
        v = usage_csv.Validator(known=self.known, sink=lambda row: None, _keys={
            uuid.UUID(bytes=bytes(key)): first for key, first in self.cursor.fetchall()})
        fields = ", ".join(f"f{i}" for i in range(len(self.names)))
        self.execute(f"SELECT line, {fields} FROM usage_raw WHERE line = ANY(%s) ORDER BY line",
                     (lines,))
        for line, *values in self.cursor.fetchall():
            before = v.error_count
            v.check(line, dict(zip(self.names, values, strict=True)))
            if v.error_count - before != counts[line]:
                raise _Fallback(f"line {line}: {v.error_count - before} problems in Python, "
                                f"{counts[line]} in SQL")
        if total > len(v.errors):
            v.errors.append(usage_csv.problem(None, "file", f"… and {total - len(v.errors)} "
                                                            "more problems not listed."))
        return v.errors

    def _insert(self) -> Outcome:
        sql = self.sql
        columns = ", ".join(usage_csv.COLUMNS + ("usage_import_id",))
        text = {name: sql(name) for name in usage_csv.USAGE_CSV_HEADERS}
        self.execute(
            f"INSERT INTO {UsageLine._meta.db_table} ({columns}) "
            f"SELECT r.reseller_id, r.customer_id, r.subscription_id, dt.d, "
            f"{text['MeterCategory']}, {text['MeterSubCategory']}, {text['MeterName']}, "
            f"{sql.stripped('MeterId')}, {text['MeterRegion']}, {text['ResourceGroup']}, "
            f"{text['ResourceURI']}, {text['Tags']}, {self._number('Quantity')}::numeric, "
            f"{text['UnitOfMeasure']}, {self._number('UnitPrice')}::numeric, "
            f"{self._number('BillingPreTaxTotal')}::numeric, r.currency, "
            f"{sql.stripped('ChargeType')}, {text['ProductId']}, {text['SkuId']}, "
            f"{text['AvailabilityId']}, {text['ChargeType']} = ANY(%(marketplace)s), "
            f"encode(c.key, 'hex')::uuid, %(import_id)s "
            f"FROM usage_raw s JOIN usage_checked c USING (line) "
            f"JOIN usage_dates dt ON dt.raw = {sql('UsageDate')} "
            f"JOIN usage_refs r ON (r.cu, r.su, r.cy) = ({sql('CustomerId')}, "
            f"{sql('SubscriptionId')}, {sql('BillingCurrency')}) "
            f"ON CONFLICT (natural_key) DO NOTHING",
            {**self.params, "marketplace": self.marketplace_types, "import_id": self.import_id})
        inserted = self.cursor.rowcount
        return Outcome(lines=self.lines, errors=[], inserted=inserted, valid=self.lines,
                       marketplace=self.marketplace)
