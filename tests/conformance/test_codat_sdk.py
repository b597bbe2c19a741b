"""The official Codat client (PyPI `codat-sync-for-expenses`, pinned in pyproject.toml) against a
live `spendsync serve`, changing only `server_url` and the API key."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from codat_sync_for_expenses import CodatSyncExpenses
from codat_sync_for_expenses.models import errors, shared
from sqlalchemy import Engine

from tests.live_server import running_server

pytestmark = pytest.mark.live


@pytest.fixture
def server_url(
    database_url: str, jobs_database_url: str, engine: Engine, worker: object, tmp_path: Path
) -> Iterator[str]:
    """A live API process; syncs it enqueues run on this test process's worker."""
    with running_server(
        database_url, tmp_path, jobs_database_url=jobs_database_url, worker=False
    ) as url:
        yield url


def sdk_for(server_url: str, key: str, *, encode: bool = True) -> CodatSyncExpenses:
    credential = base64.b64encode(key.encode()).decode() if encode else key
    return CodatSyncExpenses(
        security=shared.Security(auth_header=f"Basic {credential}"), server_url=server_url
    )


def test_companies_lifecycle(server_url: str, new_key) -> None:
    sdk = sdk_for(server_url, new_key().key)
    created = sdk.companies.create(
        request={"name": "Toft stores", "description": "card programme", "tags": {"region": "uk"}}
    )
    assert created.name == "Toft stores"
    assert created.redirect.startswith(server_url)
    assert created.tags == {"region": "uk"}

    fetched = sdk.companies.get(request={"company_id": created.id})
    assert fetched.id == created.id

    listed = sdk.companies.list(request={"page": 1, "page_size": 10, "query": "name=toft stores"})
    assert listed.total_results == 1
    assert [c.id for c in listed.results] == [created.id]
    tagged = sdk.companies.list(request={"tags": "region=uk"})
    assert [c.id for c in tagged.results] == [created.id]

    updated = sdk.companies.update(
        request={"company_id": created.id, "company_update_request": {"description": "changed"}}
    )
    assert (updated.name, updated.description) == ("Toft stores", "changed")
    replaced = sdk.companies.replace(
        request={"company_id": created.id, "company_request_body": {"name": "Toft Ltd"}}
    )
    assert (replaced.name, replaced.description) == ("Toft Ltd", None)

    sdk.companies.delete(request={"company_id": created.id})
    with pytest.raises(errors.ErrorMessage) as missing:
        sdk.companies.get(request={"company_id": created.id})
    assert missing.value.data.status_code == 404
    assert missing.value.data.correlation_id


def test_connections_lifecycle(server_url: str, new_key) -> None:
    sdk = sdk_for(server_url, new_key().key, encode=False)
    company = sdk.companies.create(request={"name": "Acme"})
    connection = sdk.connections.create(
        request={"company_id": company.id, "request_body": {"platform_key": "gbol"}}
    )
    assert connection.status == "PendingAuth"
    assert connection.platform_name == "Xero"
    assert connection.link_url.startswith(server_url)

    expense = sdk.connections.create_partner_expense_connection(request={"company_id": company.id})
    assert expense.status == "Linked"

    listed = sdk.connections.list(request={"company_id": company.id})
    assert {c.id for c in listed.results} == {connection.id, expense.id}
    got = sdk.connections.get(request={"company_id": company.id, "connection_id": connection.id})
    assert got.id == connection.id

    unlinked = sdk.connections.unlink(
        request={
            "company_id": company.id,
            "connection_id": connection.id,
            "request_body": {"status": "Unlinked"},
        }
    )
    assert unlinked.status == "Unlinked"
    with pytest.raises(errors.ErrorMessage) as not_linked:
        sdk.company_info.get(request={"company_id": company.id})
    assert not_linked.value.data.status_code == 409

    sdk.connections.delete(request={"company_id": company.id, "connection_id": connection.id})
    with pytest.raises(errors.ErrorMessage) as gone:
        sdk.connections.get(request={"company_id": company.id, "connection_id": connection.id})
    assert gone.value.data.status_code == 404
    with_company = sdk.companies.get(request={"company_id": company.id})
    assert [c.id for c in with_company.data_connections or []] == [expense.id]


def test_error_paths_parse_as_codat_errors(server_url: str, new_key) -> None:
    good = sdk_for(server_url, new_key("owner").key)
    company = good.companies.create(request={"name": "Acme"})

    with pytest.raises(errors.ErrorMessage) as unauthorized:
        sdk_for(server_url, "ssk_wrong").companies.list()
    assert unauthorized.value.data.status_code == 401

    with pytest.raises(errors.ErrorMessage) as malformed:
        good.companies.list(request={"query": "name=&&"})
    assert malformed.value.data.status_code == 400
    assert malformed.value.data.error == "Error parsing query - Malformed query."

    other = sdk_for(server_url, new_key("other").key)
    with pytest.raises(errors.ErrorMessage) as hidden:
        other.companies.get(request={"company_id": company.id})
    assert hidden.value.data.status_code == 404

    with pytest.raises(errors.ErrorMessage) as invalid:
        good.companies.create(request={"name": "<bad>"})
    assert invalid.value.data.status_code == 400
    assert invalid.value.data.validation is not None
