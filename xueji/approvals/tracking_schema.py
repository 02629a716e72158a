"""``/track/{code}/`` in the OpenAPI schema. The guardian's page is a plain Django view (the form's
CSRF check holds for everyone, which DRF's session authentication would lift for the anonymous),
so drf-spectacular does not find it: this postprocessing hook (SPECTACULAR_SETTINGS) adds its
JSON side by hand, as xueji/approvals/tracking_views.py answers it."""

ERROR = {"type": "object", "properties": {"detail": {"type": "string"}, "code": {"type": "string"},
                                          "question": {"type": "string"}}, "required": ["detail", "code"]}
STEP = {
    "type": "object",
    "properties": {
        "label": {"type": "string"}, "unit": {"type": "string"},
        "status": {"type": "string", "enum": ["waiting", "pending", "approved", "rejected", "cancelled"]},
        "status_label": {"type": "string"},
        "decided_at": {"type": "string", "format": "date-time", "nullable": True},
        "due_at": {"type": "string", "format": "date-time", "nullable": True},
        "overdue": {"type": "boolean"},
    },
}
PROGRESS = {
    "type": "object",
    "properties": {"progress": {"type": "object", "properties": {
        "kind": {"type": "string"}, "pupil": {"type": "string", "description": "学生姓名（已遮蔽，如 张*明）"},
        "school": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "approved", "rejected", "withdrawn"]},
        "status_label": {"type": "string"},
        "started_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": "string", "format": "date-time", "nullable": True},
        "steps": {"type": "array", "items": STEP},
        "missing": {"type": "array", "items": {"type": "string"}},
        "deadline": {"type": "string", "format": "date-time", "nullable": True},
    }}},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _responses() -> dict:
    return {
        "200": _json(PROGRESS, "办理进度（已核对，或本会话 30 分钟内核对过）"),
        "400": _json(ERROR, "核对信息错误（code: wrong_answer）"),
        "401": _json(ERROR, "尚未核对：question 说明要输入什么（code: answer_required）"),
        "403": _json(ERROR, "本地未开放家长查询（code: tracking_off），或缺少 CSRF 令牌"),
        "404": _json(ERROR, "查询码不存在（code: not_found）"),
        "429": _json(ERROR, "错误次数过多，暂停核对（code: locked）"),
    }


def track_paths(result, generator, request, public):
    parameter = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
                 "description": "申请表二维码下方印的查询码"}
    common = {"tags": ["track"], "parameters": [parameter], "security": [{}], "responses": _responses()}
    result.setdefault("paths", {})["/track/{code}/"] = {
        "get": {**common, "operationId": "track_retrieve",
                "summary": "家长查询申请办理进度（无需账号；请求头 Accept: application/json）"},
        "post": {**common, "operationId": "track_answer",
                 "summary": "提交核对信息（学生身份证件号后六位，无证件号时为出生日期），需 CSRF 令牌",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}}}}},
    }
    return result
