"""Trace search filters of MLflow 3.17 with the real client: span.attributes.<a>,
span.content and trace.text, RLIKE (a regular expression, re.search on SQLite, `~` on
PostgreSQL), feedback.<name> / expectation.<name> (assessment values), issue.id and prompt,
run_id through a run link, and MLflow's messages for what each key refuses. The same tests
run against mlflow server (MLTRACK_TARGET=mlflow)."""
import os
import time

import pytest

from conftest import assert_error

import mlflow
from mlflow.entities.model_registry import PromptVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking._tracking_service.utils import _get_store

os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"


@mlflow.trace(span_type="LLM")
def llm_call(prompt, model):
    mlflow.get_current_active_span().set_attributes({"model": model, "temperature": 0.5})
    return prompt.upper()


@mlflow.trace
def pipeline(prompt, model):
    with mlflow.start_span("retrieve", span_type="RETRIEVER") as s:
        s.set_inputs({"query": prompt})
        s.set_outputs(["doc"])
    return llm_call(prompt, model)


def run(prompt, model):
    pipeline(prompt, model)
    mlflow.flush_trace_async_logging()
    return mlflow.get_last_active_trace_id()


@pytest.fixture
def three(traced):
    """Three traces: alpha on gpt-4o, beta on claude-3, gamma on gpt-3.5."""
    return [run("alpha", "gpt-4o"), run("beta", "claude-3"), run("gamma", "gpt-3.5")]


def found(client, exp, flt, include_spans=True):
    return sorted(t.info.trace_id for t in client.search_traces(
        locations=[exp], filter_string=flt, include_spans=include_spans))


def search_error(api, exp, flt):
    return api.post("/api/3.0/mlflow/traces/search",
                    json={"locations": [{"type": "MLFLOW_EXPERIMENT",
                                         "mlflow_experiment": {"experiment_id": exp}}],
                          "filter": flt})


def test_span_attribute_filters(traced, three, client):
    t1, t2, t3 = three
    assert found(client, traced, "span.attributes.model LIKE '%gpt%'") == sorted([t1, t3])
    assert found(client, traced, "span.attributes.model ILIKE '%GPT-4%'") == [t1]
    assert found(client, traced, "span.attributes.model RLIKE '^gpt'") == sorted([t1, t3])
    assert found(client, traced, "span.attributes.model RLIKE 'claude-3$'") == [t2]
    assert found(client, traced, "span.attributes.model RLIKE '^gpt-[0-9]\\.[0-9]$'") == [t3]
    assert found(client, traced, "span.attributes.model RLIKE '4o'") == [t1]
    assert found(client, traced, "span.attributes.`model` RLIKE 'claude'") == [t2]
    assert found(client, traced, "span.attributes.nosuch RLIKE '.'") == []
    # MLflow pastes the value into a LIKE pattern after the quoted name: = never matches.
    assert found(client, traced, "span.attributes.model = 'gpt-4o'") == []


def test_span_clauses_hold_on_one_span(traced, three, client):
    t1, t2, t3 = three
    assert found(client, traced,
                 "span.name = 'llm_call' AND span.attributes.model RLIKE '^claude'") == [t2]
    assert found(client, traced,
                 "span.name = 'retrieve' AND span.attributes.model RLIKE '^claude'") == []
    assert found(client, traced, "span.type = 'RETRIEVER' AND span.name = 'retrieve'") == \
        sorted(three)
    assert found(client, traced, "span.type = 'RETRIEVER' AND span.name = 'llm_call'") == []


def test_span_content_and_text(traced, three, client):
    t1, t2, t3 = three
    assert found(client, traced, "span.content LIKE '%alpha%'") == [t1]
    assert found(client, traced, "span.content ILIKE '%ALPHA%'") == [t1]
    assert found(client, traced, "trace.text ILIKE '%BETA%'") == [t2]
    assert found(client, traced, "trace.text ilike '%beta%'") == [t2]
    assert found(client, traced, "trace.text LIKE '%gamma%' AND span.name = 'retrieve'") == [t3]


def test_rlike_on_attributes_tags_and_metadata(traced, three, client):
    t1, t2, t3 = three
    client.set_trace_tag(t1, "team", "red")
    client.set_trace_tag(t2, "team", "blue")
    client.set_trace_tag(t3, "team", "Green")
    client.set_trace_tag(t1, "ver", "v12")
    client.set_trace_tag(t2, "ver", "v1x")
    assert found(client, traced, "tags.team RLIKE '^(red|blue)$'") == sorted([t1, t2])
    assert found(client, traced, "tags.team RLIKE 'e'") == sorted(three)
    assert found(client, traced, "tags.team RLIKE '^[A-Z]'") == [t3]
    assert found(client, traced, "tags.team RLIKE '(?i)^green'") == [t3]
    assert found(client, traced, "tags.team RLIKE 'r.*?d'") == [t1]
    assert found(client, traced, "tags.ver RLIKE '^v\\d+$'") == [t1]
    assert found(client, traced, "tags.ver RLIKE '^v\\d{1,2}\\w'") == sorted([t1, t2])
    assert found(client, traced, "trace.name RLIKE '^pipe'") == sorted(three)
    assert found(client, traced, "trace.status RLIKE '^O.$'") == sorted(three)
    assert found(client, traced, "trace.request_id RLIKE '%s'" % t2[-8:]) == [t2]
    assert found(client, traced,
                 "metadata.`mlflow.traceInputs` RLIKE '\"prompt\": \"al'") == [t1]
    assert found(client, traced, "span.type RLIKE '^RETR'") == sorted(three)
    assert found(client, traced, "span.name RLIKE '^llm' AND tags.team = 'blue'") == [t2]


def test_rlike_bad_pattern(traced, three, client, api, backend):
    if backend == "sqlite":
        # MLflow's regexp() answers false for a pattern re refuses.
        assert found(client, traced, "tags.mlflow.traceName RLIKE '('") == []
        assert found(client, traced, "trace.name RLIKE '[a-'") == []
    else:
        # PostgreSQL refuses it: a 400 (MLflow answers its DataError with BAD_REQUEST).
        r = search_error(api, traced, "tags.mlflow.traceName RLIKE '('")
        assert_error(r, 400, "BAD_REQUEST", "invalid regular expression")


def test_assessment_filters(traced, three, client):
    t1, t2, t3 = three
    mlflow.log_feedback(trace_id=t1, name="relevance", value=0.9)
    old = mlflow.log_feedback(trace_id=t2, name="relevance", value=0.3)
    mlflow.log_feedback(trace_id=t1, name="verdict", value="yes")
    mlflow.log_feedback(trace_id=t2, name="verdict", value="no")
    mlflow.log_feedback(trace_id=t3, name="passed", value=True)
    mlflow.log_feedback(trace_id=t3, name="score", value=4)
    mlflow.log_expectation(trace_id=t1, name="answer", value="ALPHA")
    mlflow.log_expectation(trace_id=t2, name="answer", value="BETA")

    assert found(client, traced, "feedback.relevance > 0.5") == [t1]
    assert found(client, traced, "feedback.relevance <= 0.3") == [t2]
    assert found(client, traced, "feedback.relevance >= 0") == sorted([t1, t2])
    assert found(client, traced, "feedback.score < 5") == [t3]
    assert found(client, traced, "feedback.score = '4.0'") == [t3]  # a proto double
    assert found(client, traced, "feedback.verdict = 'yes'") == [t1]
    assert found(client, traced, "feedback.verdict != 'yes'") == [t2]
    assert found(client, traced, "feedback.verdict LIKE '%ye%'") == [t1]
    assert found(client, traced, "feedback.verdict RLIKE '^\"n'") == [t2]
    assert found(client, traced, "feedback.passed = 'true'") == [t3]
    assert found(client, traced, "feedback.relevance IS NULL") == [t3]
    assert found(client, traced, "feedback.relevance IS NOT NULL") == sorted([t1, t2])
    assert found(client, traced, "expectation.answer = 'BETA'") == [t2]
    assert found(client, traced, "feedback.answer = 'BETA'") == []
    assert found(client, traced, "expectation.answer ILIKE '%alpha%'") == [t1]
    assert found(client, traced,
                 "feedback.relevance > 0.5 AND expectation.answer = 'ALPHA'") == [t1]
    assert found(client, traced, "feedback.`relevance` > 0.5 AND span.name = 'retrieve'") == [t1]

    # An overridden feedback is no longer valid: only the new value counts.
    mlflow.override_feedback(trace_id=t2, assessment_id=old.assessment_id, value=0.95)
    assert found(client, traced, "feedback.relevance > 0.5") == sorted([t1, t2])
    assert found(client, traced, "feedback.relevance < 0.5") == []


def test_run_id_finds_linked_traces(traced, three, client):
    t1, t2, t3 = three
    r = client.create_run(traced)
    client.link_traces_to_run([t1], r.info.run_id)
    assert found(client, traced, "trace.run_id = '%s'" % r.info.run_id) == [t1]
    assert found(client, traced, "run_id = '%s'" % ("0" * 32)) == []


def test_issue_and_prompt_filters(traced, three, client):
    assert found(client, traced, "issue.id = 'iss-1'") == []
    assert found(client, traced, "prompt = 'qa/1'") == []
    assert found(client, traced, "trace.prompt = 'qa/1' AND trace.status = 'OK'") == []


def test_a_prompt_loaded_in_a_trace_is_linked_to_it(traced, client):
    """The exporter links the prompt versions a traced call loaded (LinkPromptsToTrace, in
    the background); the prompt filter then finds the trace."""
    name = "qa-%s" % traced
    mlflow.genai.register_prompt(name=name, template="Answer {{q}}")
    mlflow.genai.register_prompt(name=name, template="Answer {{q}} briefly")

    @mlflow.trace
    def answer(q):
        return mlflow.genai.load_prompt("prompts:/%s/2" % name).format(q=q)

    answer("why")
    mlflow.flush_trace_async_logging()
    tid = mlflow.get_last_active_trace_id()
    flt = "prompt = '%s/2'" % name
    deadline = time.time() + 30
    while found(client, traced, flt) != [tid] and time.time() < deadline:
        time.sleep(0.2)
    assert found(client, traced, flt) == [tid]
    assert found(client, traced, "prompt = '%s/1'" % name) == []
    # Linking again changes nothing; no versions, or a missing trace, is refused.
    store = _get_store()
    v1 = PromptVersion(name=name, version=1, template="")
    store.link_prompts_to_trace(trace_id=tid, prompt_versions=[v1])
    store.link_prompts_to_trace(trace_id=tid, prompt_versions=[v1])
    assert found(client, traced, "prompt = '%s/1'" % name) == [tid]
    with pytest.raises(MlflowException, match="Missing value for required parameter "
                                              "'prompt_versions'"):
        store.link_prompts_to_trace(trace_id=tid, prompt_versions=[])
    with pytest.raises(MlflowException, match="not found") as e:
        store.link_prompts_to_trace(trace_id="tr-" + "0" * 32, prompt_versions=[v1])
    assert e.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("flt, msg", [
    ("span.content = 'x'", "span.content comparator '=' not one of"),
    ("trace.text RLIKE 'x'", "span.content comparator 'RLIKE' not one of"),
    ("span.foo = 'x'", "Invalid span attribute 'foo'. Supported attributes: name, status, type, "
                       "attributes.<attribute_name>."),
    ("span.name > 'x'", "span.name comparator '>' not one of"),
    ("span.name like '%x%'", "span.name comparator 'like' not one of"),
    ("span.attributes.model >= 'x'", "span.attributes.model comparator '>=' not one of"),
    ("span.name = 5", "Expected a quoted string value for span (e.g. 'my-value'). Got value 5"),
    ("feedback.relevance > '0.5'",
     "Expected a numeric value for feedback when using comparator '>'. Got value '0.5'"),
    ("feedback.relevance = 5",
     "Expected a quoted string value for feedback (e.g. 'my-value'). Got value 5"),
    ("expectation.answer IN ('a')",
     "Expected a quoted string value for expectation (e.g. 'my-value'). Got value ('a')"),
    ("issue.foo = 'x'", "Invalid issue attribute 'foo'. Supported attributes: id"),
    ("issue.id LIKE 'x'", "issue.id comparator 'LIKE' not one of '{'='}'"),
    ("prompt = 'qa'",
     "Invalid prompts filter value 'qa'. Expected format: prompt = \"name/version\""),
    ("prompt LIKE 'qa/%'",
     "Invalid comparator 'LIKE' for prompts filter. Only '=' is supported"),
    ("trace.timestamp_ms RLIKE '1'", "Invalid comparator 'RLIKE' not one of"),
])
def test_refused_filters(traced, api, flt, msg):
    assert_error(search_error(api, traced, flt), 400, "INVALID_PARAMETER_VALUE", msg)


def test_refused_filter_through_the_client(traced, client):
    with pytest.raises(MlflowException, match="span.content comparator"):
        client.search_traces(locations=[traced], filter_string="span.content RLIKE 'x'")


@mlflow.trace
def in_session(q, session):
    mlflow.update_current_trace(metadata={"mlflow.trace.session": session})
    return q


def run_in_session(q, session):
    in_session(q, session)
    mlflow.flush_trace_async_logging()
    return mlflow.get_last_active_trace_id()


def test_session_metadata_and_session_assessments(traced, client):
    a = run_in_session("a", "s-1")
    b = run_in_session("b", "s-1")
    c = run_in_session("c", "s-2")
    assert found(client, traced, "metadata.`mlflow.trace.session` = 's-1'") == sorted([a, b])
    assert found(client, traced, "metadata.`mlflow.trace.session` RLIKE '2$'") == [c]
    # A session-level feedback (its metadata names the session) counts for every trace of it.
    mlflow.log_feedback(trace_id=a, name="helpful", value="good",
                        metadata={"mlflow.trace.session": "s-1"})
    mlflow.log_feedback(trace_id=c, name="tone", value="calm")
    assert found(client, traced, "feedback.helpful = 'good'") == sorted([a, b])
    assert found(client, traced, "feedback.helpful IS NULL") == [c]
    assert found(client, traced, "feedback.tone = 'calm'") == [c]
    assert found(client, traced, "feedback.tone IS NOT NULL") == [c]


def with_usage(tokens=None, cost=None):
    with mlflow.start_span(name="llm", span_type="LLM") as s:
        if tokens:
            s.set_attribute("mlflow.chat.tokenUsage", tokens)
        if cost:
            s.set_attribute("mlflow.llm.cost", cost)
    mlflow.flush_trace_async_logging()
    return mlflow.get_last_active_trace_id()


USAGE = "metadata.`mlflow.trace.tokenUsage`"
COST = "metadata.`mlflow.trace.cost`"


def test_token_usage_and_cost_metadata_filters(traced, client, api):
    """The two reserved keys compare the trace's token and cost columns: IS [NOT] NULL asks
    whether any is set, = and != compare the exact JSON text MLflow writes for them."""
    a = with_usage({"input_tokens": 10, "output_tokens": 2, "total_tokens": 12},
                   {"input_cost": 0.5, "output_cost": 0.25, "total_cost": 0.75})
    b = with_usage({"input_tokens": 3, "output_tokens": 1, "total_tokens": 4})
    c = with_usage()
    a_usage = '{"input_tokens": 10, "output_tokens": 2, "total_tokens": 12}'
    assert client.get_trace(a).info.trace_metadata["mlflow.trace.tokenUsage"] == a_usage
    assert found(client, traced, USAGE + " IS NOT NULL") == sorted([a, b])
    assert found(client, traced, USAGE + " IS NULL") == [c]
    assert found(client, traced, COST + " IS NOT NULL") == [a]
    assert found(client, traced, COST + " IS NULL") == sorted([b, c])
    assert found(client, traced, USAGE + " = '%s'" % a_usage) == [a]
    assert found(client, traced, USAGE + " != '%s'" % a_usage) == [b]
    assert found(client, traced, COST + " = '{\"input_cost\": 0.5, \"output_cost\": 0.25, "
                                        "\"total_cost\": 0.75}'") == [a]
    assert found(client, traced, USAGE + " = '{\"input_tokens\": 3, \"output_tokens\": 1, "
                                         "\"total_tokens\": 4}' AND trace.status = 'OK'") == [b]
    # Other text for the same counts (key order) is not MLflow's: equal to nothing, and
    # unequal to every trace that has counts.
    reordered = '{"total_tokens": 12, "input_tokens": 10, "output_tokens": 2}'
    assert found(client, traced, USAGE + " = '%s'" % reordered) == []
    assert found(client, traced, USAGE + " != '%s'" % reordered) == sorted([a, b])
    assert found(client, traced, USAGE + " = 'not json'") == []
    assert_error(search_error(api, traced, USAGE + " LIKE '%10%'"), 400,
                 "INVALID_PARAMETER_VALUE", "Comparator 'LIKE' is not supported for reserved "
                 "metadata 'mlflow.trace.tokenUsage'. Only '=', '!=', 'IS NULL', and 'IS NOT "
                 "NULL' are supported.")


def start_trace_with_assessments(client, exp, assessments, trace_id=None):
    """Sends one StartTraceV3 whose trace info carries assessments, as an exported trace
    does (the client's store call, as mlflow's own copy of a trace makes it)."""
    import uuid
    from mlflow.entities import TraceInfo, TraceLocation, TraceState
    tid = trace_id or "tr-" + uuid.uuid4().hex
    for a in assessments:
        a.trace_id = tid
    info = TraceInfo(trace_id=tid, trace_location=TraceLocation.from_experiment_id(exp),
                     request_time=1_700_000_000_000, execution_duration=12,
                     state=TraceState.OK, request_preview='"q"', response_preview='"a"',
                     tags={"mlflow.traceName": "imported"}, trace_metadata={},
                     assessments=assessments)
    return client._tracking_client.store.start_trace(info)


def test_start_trace_stores_its_assessments(traced, client):
    from mlflow.entities import AssessmentSource, Expectation, Feedback
    human = AssessmentSource(source_type="HUMAN", source_id="ann")
    fb = Feedback(name="quality", value=0.75, source=human, rationale="ok",
                  metadata={"k": "v"})
    ex = Expectation(name="answer", value={"text": "a", "n": [1, 2]}, source=human)
    yes = Feedback(name="verdict", value="yes", source=human)
    back = start_trace_with_assessments(client, traced, [fb, ex, yes])
    tid = back.trace_id
    assert sorted(a.name for a in back.assessments) == ["answer", "quality", "verdict"]

    got = {a.name: a for a in client._tracking_client.store.get_trace_info(tid).assessments}
    assert set(got) == {"quality", "answer", "verdict"}
    q = got["quality"]
    assert q.value == 0.75 and q.rationale == "ok" and q.metadata == {"k": "v"}
    assert q.source.source_type == "HUMAN" and q.source.source_id == "ann"
    assert q.trace_id == tid and q.valid
    assert got["answer"].value == {"text": "a", "n": [1, 2]}
    assert got["verdict"].value == "yes"
    # The assessment keeps its id: it can be read, updated and searched like any other.
    assert mlflow.get_assessment(tid, q.assessment_id).value == 0.75

    # A trace without spans: searched for its info alone.
    listed = client.search_traces(locations=[traced], include_spans=False)
    assert [t.info.trace_id for t in listed] == [tid]
    assert len(listed[0].info.assessments) == 3
    assert found(client, traced, "feedback.quality > 0.5", False) == [tid]
    assert found(client, traced, "feedback.verdict = 'yes'", False) == [tid]
    assert found(client, traced, "expectation.answer IS NOT NULL", False) == [tid]


def test_start_trace_again_keeps_and_merges_assessments(traced, client):
    from mlflow.entities import AssessmentSource, Feedback
    human = AssessmentSource(source_type="HUMAN", source_id="ann")
    first = start_trace_with_assessments(client, traced,
                                         [Feedback(name="quality", value=1, source=human)])
    tid = first.trace_id
    qid = first.assessments[0].assessment_id
    later = Feedback(name="tone", value="calm", source=human)
    again = start_trace_with_assessments(client, traced, [later], trace_id=tid)
    names = sorted(a.name for a in again.assessments)
    assert names == ["quality", "tone"]
    assert mlflow.get_assessment(tid, qid).value == 1


def test_start_trace_refuses_an_assessment_without_value(traced, api, client):
    import uuid
    tid = "tr-" + uuid.uuid4().hex
    r = api.post("/api/3.0/mlflow/traces", json={"trace": {"trace_info": {
        "trace_id": tid,
        "trace_location": {"type": "MLFLOW_EXPERIMENT",
                           "mlflow_experiment": {"experiment_id": traced}},
        "request_time": "2024-01-01T00:00:00Z", "state": "OK",
        "assessments": [{"assessment_name": "x",
                         "source": {"source_type": "HUMAN", "source_id": "a"}}]}}})
    assert_error(r, 400, "INVALID_PARAMETER_VALUE", "Unknown assessment type: None")
    assert list(client.search_traces(locations=[traced], include_spans=False)) == []
