"""A vendor's employer-contract list, imported (referral/importing/): employers linked to
the contracts they are signatory to."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from appkit.sql import bulk_insert
from audit.actors import Actor, person
from audit.history import history_of_created
from checkoff.models import Employer
from checkoff.services import employer_save
from jobs.progress import Progress

from ..models import AgreementType, EmployerContract
from .files import (
    IMPORT_REASON,
    PREVIEW_ROWS,
    ImportLayout,
    ReferralImport,
    Refused,
    chunks,
    header_only,
    may_import,
    records,
)

CONTRACT_LAYOUT = ImportLayout(
    columns=("employer_code", "employer_name", "contract_code", "agreement_type"),
    required=("employer_code", "contract_code"),
)
CONTRACT_PREVIEW = ("Row", "Employer", "Name", "Contract", "Agreement", "Employer is")


def employer_contracts_import(
    *,
    csv_text: str,
    actor: Actor,
    layout: Mapping[str, str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ReferralImport:
    """Link employers to the contracts the vendor's employer-contract list gives: every row,
    or, if any row is wrong, none. An employer not yet known is made (checkoff's
    employer_save), from the file's code and name: the export is the local's list of
    signatory employers, most of whom remit no dues by check-off; the preview says which
    are new before anyone confirms, and a person makes them only if their role may add
    employers. A link already kept is left as it is (the same export imported again adds
    only what is new)."""
    may_import(actor=actor)
    progress = progress or Progress()
    result = ReferralImport()
    try:
        with transaction.atomic():
            links, new = _contract_rows(
                csv_text, CONTRACT_LAYOUT.with_headers(layout), actor, result
            )
            header_only(result, links, "contracts")
            if not result.ok or dry_run:
                raise Refused
            progress.step("Writing the contracts", total=len(links))
            for employer in new.values():
                employer_save(employer=employer, actor=actor)
            contracts = [
                EmployerContract(
                    employer=employer, contract_code=code, agreement_type=agreement_type
                )
                for employer, code, agreement_type, _ in links
            ]
            bulk_insert(contracts)
            history_of_created(contracts, actor=actor, reason=IMPORT_REASON)
            progress.advance(len(contracts))
    except Refused:
        result.errors.sort(key=lambda error: error.row)
        return result
    except IntegrityError:
        result.error(1, "file", "The import clashed with another change; try again.")
        return result
    result.written = True
    return result


def _contract_rows(
    csv_text: str, layout: ImportLayout, actor: Actor, result: ReferralImport
) -> tuple[list[tuple[Employer, str, str, int]], dict[str, Employer]]:
    """The links to make (employer, contract, agreement type, row) and the employers to
    make first (by code); each problem recorded on `result`."""
    read = list(records(csv_text, layout, result))
    known = _employers_by_code({Employer.code_of(cells["employer_code"]) for _, cells in read})
    kept = _links_kept(list(known.values()))
    may_add = person(actor) is None or person(actor).has_perm("checkoff.add_employer")
    new: dict[str, Employer] = {}
    links: list[tuple[Employer, str, str, int]] = []
    in_file: dict[tuple[str, str], tuple[str, int]] = {}  # (employer, contract) → type, row
    already = 0
    for number, cells in read:
        problems: dict[str, str] = {}
        code = Employer.code_of(cells["employer_code"])
        contract = cells["contract_code"]
        agreement_type = _agreement_type(cells.get("agreement_type", ""), problems)
        if not contract:
            problems["contract_code"] = "The contract code is blank."
        elif len(contract) > 20:
            problems["contract_code"] = "A contract code has at most 20 characters."
        employer = known.get(code) or new.get(code)
        if employer is None:
            employer = _new_employer(code, cells.get("employer_name", ""), may_add, problems)
        for column, message in problems.items():
            result.error(number, column, message)
        if problems:
            continue
        if (code, contract) in in_file:
            first_type, first_row = in_file[code, contract]
            if agreement_type != first_type:
                result.error(
                    number,
                    "agreement_type",
                    f"{code} on {contract} is {first_type} on row {first_row}.",
                )
            continue  # the same link twice: one link
        in_file[code, contract] = (agreement_type, number)
        if employer.pk is None:
            new[code] = employer
        elif (employer.pk, contract) in kept:
            if kept[employer.pk, contract] != agreement_type:
                result.error(
                    number,
                    "agreement_type",
                    f"{code} on {contract} is kept as {kept[employer.pk, contract]}: change "
                    "it in the admin, not by an import.",
                )
            already += 1
            continue
        links.append((employer, contract, agreement_type, number))
    result.count = len(links)
    result.preview = [
        [str(row), e.code, e.name, contract, agreement_type, "new" if e.pk is None else "known"]
        for e, contract, agreement_type, row in links[:PREVIEW_ROWS]
    ]
    if new:
        result.notes.append(f"New employers, to be made: {len(new):,}.")
    if already:
        result.notes.append(f"Links kept already, left as they are: {already:,}.")
    return links, new


def _employers_by_code(codes: set[str]) -> dict[str, Employer]:
    found: dict[str, Employer] = {}
    for chunk in chunks(sorted(codes)):
        found.update((e.code, e) for e in Employer.objects.filter(code__in=chunk))
    return found


def _links_kept(employers: list[Employer]) -> dict[tuple[int, str], str]:
    kept: dict[tuple[int, str], str] = {}
    for chunk in chunks([e.pk for e in employers]):
        kept.update(
            ((employer, code), agreement_type)
            for employer, code, agreement_type in EmployerContract.objects.filter(
                employer_id__in=chunk
            ).values_list("employer_id", "contract_code", "agreement_type")
        )
    return kept


def _agreement_type(text: str, problems: dict[str, str]) -> str:
    said = text.strip().casefold()
    if not said:
        return AgreementType.STANDARD
    for value, label in AgreementType.choices:
        if said in (value, label.casefold()):
            return value
    problems["agreement_type"] = (
        f'"{text}" is not an agreement type: {", ".join(AgreementType.values)}.'
    )
    return ""


def _new_employer(code: str, name: str, may_add: bool, problems: dict[str, str]) -> Employer:
    """An employer the file names that is not kept yet, checked as employer_save will."""
    employer = Employer(code=code, name=name)
    if not code:
        problems["employer_code"] = "The employer code is blank."
        return employer
    if not may_add:
        problems["employer_code"] = (
            f"Employer {code} is new, and your role may not add employers: add it first, "
            "or ask an officer to import this file."
        )
        return employer
    if not name:
        problems["employer_name"] = f"Employer {code} is new: the file must give its name."
        return employer
    try:
        employer.full_clean(validate_unique=False)
    except ValidationError as exc:
        columns = {"code": "employer_code", "name": "employer_name"}
        for field_name, messages in exc.message_dict.items():
            problems[columns.get(field_name, "employer_code")] = " ".join(messages)
    return employer
