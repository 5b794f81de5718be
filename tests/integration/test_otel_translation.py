"""Spans from other OpenTelemetry instrumentations, posted over OTLP JSON: MLflow 3.17's server
translates their conventions when it stores them (translate_span_when_storing), so they come
back with MLflow's span type, inputs, outputs, token usage and chat attributes, and give their
trace its token usage and previews. Model names are ones MLflow's builtin price table does not
know, so no cost is computed (that part is not ported)."""
import json

from conftest import export_otlp_json as _export


def _value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": v}


def _span(tid, sid, name, attrs, parent=None, events=()):
    span = {"traceId": tid, "spanId": sid, "name": name,
            "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000500000000",
            "status": {"code": "STATUS_CODE_OK"},
            "attributes": [{"key": k, "value": _value(v)} for k, v in attrs],
            "events": [{"name": n, "timeUnixNano": "1700000000100000000",
                        "attributes": [{"key": k, "value": _value(v)} for k, v in ea]}
                       for n, ea in events]}
    if parent:
        span["parentSpanId"] = parent
    return span


def _one(client, tid):
    t = client.get_trace("tr-" + tid)
    return t, {s.name: s for s in t.data.spans}


def test_openinference_llm_span(traced, base_url, client, server):
    tid = "a1" * 16
    _export(base_url, traced, _span(tid, "01" * 8, "llm", [
        ("openinference.span.kind", "LLM"),
        ("input.value", json.dumps({"question": "why?"})),
        ("output.value", "because"),
        ("llm.token_count.prompt", 12),
        ("llm.token_count.completion", 3),
        ("llm.model_name", "acme-zz-1"),
        ("llm.provider", "acme"),
    ]))
    t, spans = _one(client, tid)
    s = spans["llm"]
    assert s.span_type == "LLM"
    assert s.inputs == {"question": "why?"} and s.outputs == "because"
    assert s.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    assert s.get_attribute("mlflow.llm.model") == "acme-zz-1"
    assert s.get_attribute("mlflow.llm.provider") == "acme"
    # the translated keys follow the span's own, in MLflow's order
    assert list(s.attributes)[-7:] == [
        "mlflow.traceRequestId", "mlflow.spanType", "mlflow.spanInputs", "mlflow.spanOutputs",
        "mlflow.chat.tokenUsage", "mlflow.llm.model", "mlflow.llm.provider"]
    assert t.info.token_usage == {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    assert t.info.request_preview == '{"question": "why?"}'
    assert t.info.response_preview == '"because"'
    # The translated model and provider also fill the spans table's analytics columns.
    assert server.db_query("SELECT model_name, model_provider FROM spans WHERE trace_id = ?",
                           ("tr-" + tid,)) == [("acme-zz-1", "acme")]


def test_genai_semconv_chat_span_under_a_root(traced, base_url, client):
    tid = "a2" * 16
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "hé"}]}])
    tools = json.dumps([{"type": "function", "name": "lookup"}])
    _export(base_url, traced,
            _span(tid, "01" * 8, "agent", [("gen_ai.operation.name", "invoke_agent"),
                                           ("gen_ai.input.messages", messages)]),
            _span(tid, "02" * 8, "chat", [
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.request.model", "acme-zz-1"),
                ("gen_ai.provider.name", "acme"),
                ("gen_ai.usage.input_tokens", 7),
                ("gen_ai.usage.output_tokens", 2),
                ("gen_ai.usage.cache_creation.input_tokens", 1),
                ("gen_ai.tool.definitions", tools),
                ("gen_ai.output.messages", json.dumps([{"role": "assistant", "parts": []}])),
            ], parent="01" * 8))
    t, spans = _one(client, tid)
    assert spans["agent"].span_type == "AGENT"
    assert spans["agent"].inputs == json.loads(messages)
    chat = spans["chat"]
    assert chat.span_type == "CHAT_MODEL"
    assert chat.outputs == [{"role": "assistant", "parts": []}]
    assert chat.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 7, "output_tokens": 2, "total_tokens": 9,
        "cache_creation_input_tokens": 1}
    assert chat.get_attribute("mlflow.chat.tools") == json.loads(tools)
    assert chat.get_attribute("mlflow.llm.model") == "acme-zz-1"
    assert t.info.token_usage == {"input_tokens": 7, "output_tokens": 2, "total_tokens": 9,
                                  "cache_creation_input_tokens": 1}
    assert t.info.request_preview == messages


def test_traceloop_spans(traced, base_url, client):
    tid = "a3" * 16
    _export(base_url, traced,
            _span(tid, "01" * 8, "workflow", [("traceloop.span.kind", "workflow"),
                                              ("traceloop.entity.input", '{"x": 1}'),
                                              ("traceloop.entity.output", '{"y": 2}')]),
            _span(tid, "02" * 8, "openai.chat", [
                ("llm.request.type", "chat"),
                ("gen_ai.system", "Acme"),
                ("gen_ai.request.model", "acme-zz-1"),
                ("gen_ai.prompt.0.role", "user"),
                ("gen_ai.prompt.0.content", "hello"),
                ("gen_ai.completion.0.content", "hi there"),
                ("gen_ai.usage.prompt_tokens", "4"),
                ("gen_ai.usage.completion_tokens", 5),
                ("llm.usage.total_tokens", 9),
            ], parent="01" * 8))
    t, spans = _one(client, tid)
    wf = spans["workflow"]
    assert wf.span_type == "WORKFLOW" and wf.inputs == {"x": 1} and wf.outputs == {"y": 2}
    chat = spans["openai.chat"]
    # no span kind: LiveKit's translator types any span with gen_ai.request.model as LLM
    assert chat.span_type == "LLM"
    assert chat.inputs == "hello" and chat.outputs == "hi there"
    assert chat.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 4, "output_tokens": 5, "total_tokens": 9}
    assert chat.get_attribute("mlflow.llm.provider") == "Acme"
    assert t.info.token_usage == {"input_tokens": 4, "output_tokens": 5, "total_tokens": 9}
    assert t.info.request_preview == '{"x": 1}'


def test_own_span_type_is_kept_and_unknown_is_replaced(traced, base_url, client):
    tid = "a4" * 16
    _export(base_url, traced,
            _span(tid, "01" * 8, "mine", [("mlflow.spanType", '"CHAIN"'),
                                          ("openinference.span.kind", "LLM"),
                                          ("mlflow.spanInputs", '"mine"'),
                                          ("input.value", "theirs")]),
            _span(tid, "02" * 8, "unknown", [("mlflow.spanType", '"UNKNOWN"'),
                                             ("langfuse.observation.type", "generation"),
                                             ("langfuse.observation.input", "q")],
                  parent="01" * 8))
    t, spans = _one(client, tid)
    assert spans["mine"].span_type == "CHAIN" and spans["mine"].inputs == "mine"
    u = spans["unknown"]
    assert u.span_type == "LLM" and u.inputs == "q"
    assert list(u.attributes)[0] == "mlflow.spanType"  # replaced where it was


def test_model_read_from_inputs_and_message_formats(traced, base_url, client):
    tid = "a5" * 16
    _export(base_url, traced,
            _span(tid, "01" * 8, "root", [("mlflow.spanInputs",
                                           json.dumps({"model": "acme-zz-1", "q": 1})),
                                          ("lmnr.span.type", "EXECUTOR")]),
            _span(tid, "02" * 8, "volt", [("span.type", "memory"),
                                          ("voltagent.operation_id", "op"),
                                          ("usage.prompt_tokens", 2)], parent="01" * 8),
            _span(tid, "03" * 8, "lk", [("lk.agent_name", "bob"),
                                        ("lk.user_input", "say hi")], parent="01" * 8))
    t, spans = _one(client, tid)
    root = spans["root"]
    assert root.get_attribute("mlflow.llm.model") == "acme-zz-1"
    assert root.span_type == "AGENT"
    assert root.get_attribute("mlflow.message.format") == "openai"
    volt = spans["volt"]
    assert volt.span_type == "MEMORY"
    assert volt.get_attribute("mlflow.message.format") == "voltagent"
    assert volt.get_attribute("mlflow.chat.tokenUsage") == {"input_tokens": 2}
    lk = spans["lk"]
    assert lk.span_type == "AGENT" and lk.inputs == "say hi"
    assert lk.get_attribute("mlflow.message.format") == "livekit"
    assert t.info.token_usage == {"input_tokens": 2, "output_tokens": 0, "total_tokens": 0}


def test_inputs_and_outputs_from_events(traced, base_url, client):
    tid = "a6" * 16
    _export(base_url, traced,
            _span(tid, "01" * 8, "spring", [("gen_ai.operation.name", "chat")], events=[
                ("gen_ai.content.prompt", [("gen_ai.prompt", "tell me")]),
                ("gen_ai.content.completion", [("gen_ai.completion", "told")])]),
            _span(tid, "02" * 8, "genai-events", [("gen_ai.operation.name", "chat")], events=[
                ("gen_ai.system.message", [("content", "be brief")]),
                ("gen_ai.user.message", [("content", '{"text": "é"}')]),
                ("gen_ai.choice", [("content", "ok"), ("role", "assistant")]),
                ("gen_ai.choice", [("content", "")])], parent="01" * 8))
    t, spans = _one(client, tid)
    spring = spans["spring"]
    assert spring.span_type == "CHAT_MODEL"
    assert spring.get_attribute("mlflow.spanInputs") == "tell me"
    assert spring.get_attribute("mlflow.spanOutputs") == "told"
    ev = spans["genai-events"]
    assert ev.inputs == [{"role": "system", "content": "be brief"},
                         {"role": "user", "content": {"text": "é"}}]
    assert ev.outputs == [{"role": "assistant", "content": "ok"}]
    assert t.info.request_preview == "tell me"


def test_native_spans_are_left_alone(traced, base_url, client):
    tid = "a7" * 16
    _export(base_url, traced, _span(tid, "01" * 8, "native", [
        ("mlflow.spanType", '"LLM"'), ("mlflow.spanInputs", '{"q": "model"}'),
        ("attr.1", 5)]))
    _, spans = _one(client, tid)
    s = spans["native"]
    assert list(s.attributes) == ["mlflow.spanType", "mlflow.spanInputs", "attr.1",
                                  "mlflow.traceRequestId"]


def test_span_type_filter_reads_the_sent_type(traced, base_url, client):
    """The spans row's type is the span's own (MLflow's store takes it from the span, not the
    translated dict), so a span.type filter does not see the translated type."""
    tid = "a8" * 16
    _export(base_url, traced, _span(tid, "01" * 8, "oi", [("openinference.span.kind", "TOOL")]))
    _, spans = _one(client, tid)
    assert spans["oi"].span_type == "TOOL"
    found = client.search_traces(locations=[traced], filter_string="span.type = 'TOOL'")
    assert "tr-" + tid not in [t.info.trace_id for t in found]


def test_claude_code_spans(traced, base_url, client):
    tid = "a9" * 16
    _export(base_url, traced,
            _span(tid, "01" * 8, "claude_code.interaction", [
                ("span.type", "claude_code.interaction"), ("user_prompt", "<REDACTED>"),
                ("new_context", "fix the bug")]),
            _span(tid, "02" * 8, "claude_code.llm_request", [
                ("span.type", "llm_request"), ("response.model_output", "done"),
                ("input_tokens", "10"), ("output_tokens", 2), ("cache_read_tokens", 3)],
                parent="01" * 8),
            _span(tid, "03" * 8, "claude_code.tool", [
                ("span.type", "claude_code.tool"), ("full_command", "ls -l é"),
                ("skill_name", "<REDACTED>")], parent="01" * 8,
                events=[("tool.output", [("output", "<REDACTED>"), ("content", '{"c": 1}')])]))
    t, spans = _one(client, tid)
    root = spans["claude_code.interaction"]
    assert root.span_type == "AGENT" and root.inputs == "fix the bug"
    llm = spans["claude_code.llm_request"]
    assert llm.span_type == "LLM" and llm.outputs == "done"
    assert llm.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 13, "output_tokens": 2, "total_tokens": 15,
        "cache_read_input_tokens": 3}
    tool = spans["claude_code.tool"]
    assert tool.span_type == "TOOL"
    assert tool.inputs == {"full_command": "ls -l é"} and tool.outputs == {"c": 1}
    assert t.info.token_usage == {"input_tokens": 13, "output_tokens": 2, "total_tokens": 15,
                                  "cache_read_input_tokens": 3}
    assert t.info.request_preview == '"fix the bug"'


def test_vercel_ai_spans(traced, base_url, client):
    tid = "aa" * 16
    _export(base_url, traced,
            _span(tid, "01" * 8, "ai.generateText", [
                ("ai.operationId", "ai.generateText"), ("ai.prompt", '{"prompt": "hi"}'),
                ("ai.response.text", "hello")]),
            _span(tid, "02" * 8, "ai.generateText.doGenerate", [
                ("ai.operationId", "ai.generateText.doGenerate"),
                ("ai.prompt.messages", json.dumps([{"role": "user", "content": "hé"}])),
                ("ai.prompt.toolChoice", '{"type":"auto"}'),
                ("ai.response.text", "hello"), ("ai.response.finishReason", "stop")],
                parent="01" * 8))
    t, spans = _one(client, tid)
    root = spans["ai.generateText"]
    assert root.span_type == "LLM" and root.inputs == {"prompt": "hi"} and root.outputs == "hello"
    chat = spans["ai.generateText.doGenerate"]
    assert chat.span_type == "LLM"
    assert chat.inputs == {"messages": [{"role": "user", "content": "hé"}],
                           "toolChoice": {"type": "auto"}}
    assert chat.outputs == {"text": "hello", "finishReason": "stop"}
    assert chat.get_attribute("mlflow.message.format") == "vercel_ai"
    # the format is set as the inputs are read, so it comes before them
    keys = list(chat.attributes)
    assert keys.index("mlflow.message.format") == keys.index("mlflow.spanInputs") - 1
    assert t.info.request_preview == '{"prompt": "hi"}'


def test_gemini_cli_spans(traced, base_url, client):
    tid = "ab" * 16
    _export(base_url, traced, _span(tid, "01" * 8, "llm_call", [
        ("gen_ai.agent.name", "gemini-cli"), ("gen_ai.operation.name", "llm_call"),
        ("gen_ai.input.messages", '[{"role": "user", "parts": [{"text": "hi"}]}]'),
        ("gen_ai.output.messages", '[{"role": "model", "parts": [{"text": "a"}]},'
                                   ' {"parts": [{"text": "b"}]}]'),
        ("gen_ai.usage.input_tokens", 3), ("gen_ai.usage.output_tokens", 1)]))
    t, spans = _one(client, tid)
    s = spans["llm_call"]
    assert s.span_type == "LLM"
    assert s.inputs == {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    assert s.outputs == {"candidates": [{"content": {"role": "model",
                                                     "parts": [{"text": "a"}, {"text": "b"}]}}]}
    assert s.get_attribute("mlflow.message.format") == "gemini"
    assert t.info.token_usage == {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}
