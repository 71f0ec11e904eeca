"""REST/JSON connector: POST the mapped task, read the mapped answer.

connector: rest
endpoint: https://civil-status.example/api/records
mapping:
  method: POST                       # optional
  request: {ho_so: "{dossier_code}", ma_cong_viec: "{task_id}"}
  response: {reference: ma_tiep_nhan}
"""

from __future__ import annotations

import json

from lienthong_agency_adapter.connectors.base import (
    BaseConnector,
    Delivery,
    MalformedAnswer,
    Receipt,
    raise_for_status,
)
from lienthong_agency_adapter.mapping import AnswerMapping, json_lookup, render


class RestConnector(BaseConnector):
    kind = "rest"

    async def send(self, delivery: Delivery) -> Receipt:
        mapping = self.agency.mapping
        template = mapping.get("request") or delivery.fields()
        response = await self.context.http.request(
            str(mapping.get("method", "POST")),
            self.endpoint(),
            json=render(template, delivery.fields()),
            headers=self.headers(delivery),
            timeout=self.agency.timeout_s,
        )
        raise_for_status(response)
        try:
            document = response.json() if response.content else {}
        except json.JSONDecodeError:
            raise MalformedAnswer("the agency's answer is not JSON") from None
        return AnswerMapping.model_validate(mapping.get("response", {})).read(json_lookup(document))
