"""Codat's paging envelope: results, pageNumber, pageSize, totalResults and HAL `_links`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

MAX_PAGE_SIZE = 5000


class HalRef(BaseModel):
    href: str


class Links(BaseModel):
    self_: HalRef = Field(alias="self")
    current: HalRef
    next: HalRef | None = None
    previous: HalRef | None = None

    model_config = ConfigDict(populate_by_name=True)


class PagingInfo(BaseModel):
    page_number: int = Field(alias="pageNumber")
    page_size: int = Field(alias="pageSize")
    total_results: int = Field(alias="totalResults")
    links: Links = Field(alias="_links")

    model_config = ConfigDict(populate_by_name=True)


class PageParams(BaseModel):
    page: int
    page_size: int
    query: str | None
    order_by: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number.")] = 1,
    page_size: Annotated[
        int,
        Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE, description="Records per page."),
    ] = 100,
    query: Annotated[str | None, Query(max_length=2000, description="Codat query string.")] = None,
    order_by: Annotated[
        str | None, Query(alias="orderBy", max_length=200, description="Field to order by.")
    ] = None,
) -> PageParams:
    return PageParams(page=page, page_size=page_size, query=query or None, order_by=order_by)


def paging_info(path: str, params: PageParams, total: int) -> dict[str, Any]:
    """The paging fields of a Codat list response (merge with `results`)."""

    def href(page: int | None) -> HalRef:
        query: dict[str, Any] = {}
        if page is not None:
            query = {"page": page, "pageSize": params.page_size}
            if params.query:
                query["query"] = params.query
            if params.order_by:
                query["orderBy"] = params.order_by
        return HalRef(href=f"{path}?{urlencode(query)}" if query else path)

    last_page = max(1, -(-total // params.page_size))
    links = Links(
        self_=href(None),
        current=href(params.page),
        next=href(params.page + 1) if params.page < last_page else None,
        previous=href(params.page - 1) if 1 < params.page <= last_page + 1 else None,
    )
    info = PagingInfo(
        page_number=params.page, page_size=params.page_size, total_results=total, links=links
    )
    return info.model_dump(by_alias=True, exclude_none=True, mode="json")
