"""The OpenAPI 3.1 document of /api/v1/, as data (served at /api/v1/openapi.json, tested by schemathesis)."""

from __future__ import annotations

from typing import Any, Final

from app.domain.comparison.funnel import POSITIONS
from app.domain.outcomes import CHANGES, DISORDERS, ELIGIBLE

# Figures are plain numbers for evaluators; published figures may be "*" (suppressed) instead.
SUPPRESSED: Final[dict[str, Any]] = {"type": "string", "const": "*", "description": "suppressed: rests on 1-7 people"}
COUNT: Final[dict[str, Any]] = {"oneOf": [{"type": "integer", "minimum": 0}, SUPPRESSED]}
NUMBER_OR_NULL: Final[dict[str, Any]] = {"oneOf": [{"type": "number"}, {"type": "null"}, SUPPRESSED]}
INTERVAL: Final[dict[str, Any]] = {
    "oneOf": [
        {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        {"type": "null"},
        SUPPRESSED,
    ]
}
OUTCOMES: Final = ELIGIBLE  # the outcome counts; pending is counted in the cohort
BREAKDOWNS: Final = ("by_problem_group", "by_disorder", "by_sessions", "by_service", "by_area", "by_discharge_month")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _counts(*names: str) -> dict[str, Any]:
    return {"type": "object", "required": list(names), "properties": dict.fromkeys(names, COUNT)}


def _map_of(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": schema}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


SCHEMAS: Final[dict[str, Any]] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "what went wrong, for a person"},
            "parameter": {"type": "string", "description": "the query parameter at fault, when there is one"},
        },
    },
    "Rate": {
        "type": "object",
        "description": "numerator/denominator with a Wilson 95% interval. Unsuppressed: rate and ci95 are "
        "fractions (null when the denominator is 0). Published: whole percentages, or '*'.",
        "required": ["numerator", "denominator", "rate", "ci95"],
        "properties": {"numerator": COUNT, "denominator": COUNT, "rate": NUMBER_OR_NULL, "ci95": INTERVAL},
    },
    "Block": {
        "type": "object",
        "description": "a breakdown entry: `episodes` counts every episode of the group, consented or not; "
        "the rest count consented episodes only",
        "required": ["episodes", "eligible", "outcomes", "durable_recovery", "response"],
        "properties": {
            "episodes": COUNT,
            "eligible": COUNT,
            "outcomes": _ref("Outcomes"),
            "durable_recovery": _ref("DurableRecovery"),
            "response": _ref("Rate"),
        },
    },
    "Outcomes": _counts(*OUTCOMES),
    "DurableRecovery": {
        "type": "object",
        "required": ["itt", "available_case"],
        "properties": {"itt": _ref("Rate"), "available_case": _ref("Rate")},
    },
    "FollowUpPoint": {
        "type": "object",
        "required": ["weeks", "closed", "answered", "recovered", "itt", "available_case"],
        "properties": {
            "weeks": {"type": "integer"},
            "closed": COUNT,
            "answered": COUNT,
            "recovered": COUNT,
            "itt": _ref("Rate"),
            "available_case": _ref("Rate"),
        },
    },
    "StillWell": {
        "type": "object",
        "required": ["estimate", "ci95"],
        "properties": {"estimate": NUMBER_OR_NULL, "ci95": INTERVAL},
    },
    "Wellness": {
        "type": "object",
        "description": "Kaplan-Meier: how long wellness lasts",
        "required": ["n", "events", "median_weeks", "still_well"],
        "properties": {
            "n": COUNT,
            "events": COUNT,
            "median_weeks": NUMBER_OR_NULL,
            "still_well": _map_of(_ref("StillWell")),
        },
    },
    "EffectSize": {
        "type": "object",
        "properties": {name: NUMBER_OR_NULL for name in ("n", "mean_first", "mean_last", "d", "u3")},
    },
    "Summary": {
        "type": "object",
        "description": "the object `flask stats summary --format json` prints (SPEC section 5)",
        "required": [
            "methodology",
            "as_of",
            "cohort",
            "outcomes",
            "durable_recovery",
            "response",
            "change_distribution",
            "follow_up_points",
            *BREAKDOWNS,
            "wellness",
            "service_reported",
            "effect_sizes",
            "attrition",
        ],
        "properties": {
            "methodology": {"type": "integer"},
            "as_of": {"type": "string", "format": "date"},
            "cohort": _counts("episodes", "consented", "eligible", "pending"),
            "outcomes": _ref("Outcomes"),
            "durable_recovery": _ref("DurableRecovery"),
            "response": _ref("Rate"),
            "change_distribution": _counts(*CHANGES),
            "follow_up_points": {"type": "array", "items": _ref("FollowUpPoint")},
            **{name: _map_of(_ref("Block")) for name in BREAKDOWNS},
            "by_disorder": {
                "type": "object",
                "description": "the disorder first presented with, by ICD-10 problem descriptor (SPEC section "
                "8.1): all twelve, always, in this order",
                "required": list(DISORDERS),
                "properties": dict.fromkeys(DISORDERS, _ref("Block")),
                "additionalProperties": False,
            },
            "wellness": _ref("Wellness"),
            "service_reported": {
                "type": "object",
                "properties": {
                    **dict.fromkeys(("finished", "missing_scores", "at_caseness"), COUNT),
                    **dict.fromkeys(
                        ("recovery", "reliable_improvement", "reliable_recovery", "reliable_deterioration"),
                        _ref("Rate"),
                    ),
                },
            },
            "effect_sizes": _map_of(_map_of(_ref("EffectSize"))),
            "attrition": _counts("referred", "assessed", "entered_treatment", "finished_course", "seven_plus"),
        },
    },
    "Release": {
        "type": "object",
        "description": "the released document; its canonical JSON (these exact bytes) has the release's SHA-256",
        "required": [
            "format",
            "title",
            "as_of",
            "scope",
            "methodology",
            "software_version",
            "created_at",
            "figures",
        ],
        "properties": {
            "format": {"type": "string"},
            "title": {"type": "string"},
            "as_of": {"type": "string", "format": "date"},
            "scope": _ref("Scope"),
            "methodology": {"type": "integer"},
            "software_version": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "disclosure_control": {"type": "string"},
            "figures": _ref("ReleasedSummary"),
            "agreement": {
                "description": "the published agreement with the independent assessor (releases made before it "
                "joined them have none)",
                **_ref("Agreement"),
            },
        },
    },
    "Comparison": {
        "type": "object",
        "description": "every service in scope beside the pooled target (SPEC 8.1, methodology 2). Unsuppressed "
        "for evaluators; published (counts rounded to 5, '*' for 1-7, whole percentages) for commissioners.",
        "required": ["methodology", "as_of", "measure", "target", "overdispersion", "services", "funnel"],
        "properties": {
            "methodology": {"type": "integer", "const": 2},
            "as_of": {"type": "string", "format": "date"},
            "measure": {"type": "string", "const": "durable_recovery_itt"},
            "target": _ref("Rate"),
            "overdispersion": _ref("Overdispersion"),
            "adjusted_overdispersion": _ref("Overdispersion"),
            "services": {"type": "array", "items": _ref("ComparedService")},
            "funnel": _ref("Funnel"),
            "adjusted_funnel": _ref("Funnel"),
            "case_mix": {"oneOf": [{"type": "object"}, {"type": "null"}]},
        },
    },
    "Agreement": {
        "type": "object",
        "description": "the texts beside the blind telephone assessor (SPEC 8.4), as `flask stats agreement "
        "--format json` prints it. Unsuppressed for evaluators; published (counts rounded to 5, '*' for 1-7, whole "
        "percentages, kappa to two places; kappa and the corrected figure '*' with 1-7 pairs) for commissioners.",
        "required": [
            "as_of",
            "pairs",
            "table",
            "percent_agreement",
            "kappa",
            "sensitivity",
            "specificity",
            "itt_durable_recovery",
            "corrected_itt_durable_recovery",
            "calls",
        ],
        "properties": {
            "as_of": {"type": "string", "format": "date"},
            "pairs": COUNT,
            "table": _counts("both_recovered", "text_only", "assessor_only", "neither"),
            "percent_agreement": _ref("Rate"),
            "kappa": {
                "type": "object",
                "description": "Cohen's kappa; 95% interval from the asymptotic SE (Fleiss, Cohen & Everitt 1969)",
                "required": ["estimate", "ci95"],
                "properties": {"estimate": NUMBER_OR_NULL, "ci95": INTERVAL},
            },
            "sensitivity": _ref("Rate"),
            "specificity": _ref("Rate"),
            "itt_durable_recovery": _ref("Rate"),
            "corrected_itt_durable_recovery": {
                "type": "object",
                "description": "Rogan-Gladen corrected ITT durable recovery, bootstrap 95% percentile interval",
                "required": ["estimate", "ci95", "resamples", "undefined_resamples", "seed"],
                "properties": {
                    "estimate": NUMBER_OR_NULL,
                    "ci95": INTERVAL,
                    "resamples": {"type": "integer", "minimum": 0},
                    "undefined_resamples": {"type": "integer", "minimum": 0},
                    "seed": {"type": "integer"},
                },
            },
            "calls": _counts("sampled", "reached", "declined", "not_reached", "to_call", "answers_withdrawn"),
        },
    },
    "Overdispersion": {
        "type": "object",
        "required": ["services", "phi", "tau2", "adjusted"],
        "properties": {
            "services": {"type": "integer", "minimum": 0},
            "phi": {"type": "number"},
            "tau2": {"type": "number", "minimum": 0},
            "adjusted": {"type": "boolean"},
        },
    },
    "Funnel": {
        "type": "object",
        "description": "the limit curves: [precision (eligible episodes, or expected recoveries), low, high] rows",
        "properties": {
            level: {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
            for level in ("95", "99.8")
        },
    },
    "ComparedService": {
        "type": "object",
        "required": [
            "service",
            "observed",
            "limits",
            "position",
            "expected",
            "observed_expected",
            "adjusted_rate",
            "adjusted_ci95",
            "service_reported_recovery",
        ],
        "properties": {
            "service": {"type": "string"},
            "observed": _ref("Rate"),
            "limits": {"oneOf": [{"type": "object"}, {"type": "null"}, SUPPRESSED]},
            "position": {"type": "string", "enum": [*POSITIONS, "*"]},
            "adjusted_position": {"type": "string", "enum": [*POSITIONS, "*"]},
            "expected": NUMBER_OR_NULL,
            "observed_expected": NUMBER_OR_NULL,
            "adjusted_rate": NUMBER_OR_NULL,
            "adjusted_ci95": INTERVAL,
            "adjusted_limits": {"oneOf": [{"type": "object"}, {"type": "null"}, SUPPRESSED]},
            "service_reported_recovery": _ref("Rate"),
            "gap": NUMBER_OR_NULL,
        },
    },
    "Scope": {
        "type": "object",
        "required": ["kind", "code"],
        "properties": {
            "kind": {"type": "string", "enum": ["all", "area", "service"]},
            "code": {"type": ["string", "null"]},
        },
    },
    "ReleaseListItem": {
        "type": "object",
        "required": ["id", "title", "as_of", "scope", "methodology", "sha256", "created_at", "urls"],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": ["string", "null"]},
            "as_of": {"type": "string", "format": "date"},
            "scope": _ref("Scope"),
            "methodology": {"type": "integer"},
            "software_version": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "created_at": {"type": "string", "format": "date-time"},
            "urls": {
                "type": "object",
                "required": ["page", "json", "csv", "api"],
                "properties": {name: {"type": "string"} for name in ("page", "json", "csv", "api")},
            },
        },
    },
    "ReleaseList": {
        "type": "object",
        "required": ["releases", "page", "per_page", "total"],
        "properties": {
            "releases": {"type": "array", "items": _ref("ReleaseListItem")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "SubmissionResult": {
        "type": "object",
        "required": ["created", "updated", "unchanged", "dry_run", "warnings"],
        "properties": {
            "created": {"type": "integer"},
            "updated": {"type": "integer"},
            "unchanged": {"type": "integer"},
            "dry_run": {"type": "boolean"},
            "warnings": {
                "type": "array",
                "items": {"type": "string"},
                "description": "accepted rows to know about, grouped: e.g. rows whose language has no texts yet"
                " (they get English texts)",
            },
        },
    },
    "SubmissionProblems": {
        "type": "object",
        "required": ["errors", "problems", "by_column", "submission", "dry_run"],
        "properties": {
            "problems": {"type": "integer", "description": "every problem found"},
            "by_column": {
                "type": "array",
                "description": "problems per column (`file`: the whole file), most first",
                "items": {
                    "type": "object",
                    "required": ["column", "problems"],
                    "properties": {"column": {"type": "string"}, "problems": {"type": "integer"}},
                },
            },
            "submission": {
                "type": ["integer", "null"],
                "description": "the submission keeping the whole list: GET /api/v1/submissions/{id}/problems.csv",
            },
            "dry_run": {"type": "boolean"},
            "errors": {
                "description": "the first 1,000 problems, in file order",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["row", "column", "message"],
                    "properties": {
                        "row": {"type": ["integer", "null"], "description": "the header is row 1; null: the file"},
                        "column": {"type": ["string", "null"]},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
}

UNAUTHORISED: Final = _error("no valid bearer token (missing, unknown, revoked, expired, or its user deactivated)")
FORBIDDEN: Final = _error("the token's user may not do this")
RATE_LIMITED: Final = _error("too many requests; try again later")


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PATHS: Final[dict[str, Any]] = {
    "/api/v1/stats/summary": {
        "get": {
            "operationId": "statsSummary",
            "summary": "Durable-recovery statistics as of a date",
            "description": "Evaluators get unsuppressed figures for any scope. Commissioners get published "
            "(disclosure-controlled) figures for their own area only: `area` defaults to theirs, another "
            "area is refused, and `service` must be a service of their area. Every call is audited.",
            "parameters": [
                _query("as_of", "count discharges and answers up to this date (default: today)", {"type": "string"}),
                _query("service", "only this service (code)", {"type": "string"}),
                _query("area", "only this area (code)", {"type": "string"}),
            ],
            "responses": {
                "200": {"description": "the summary", "content": {"application/json": {"schema": _ref("Summary")}}},
                "400": _error("a parameter is not valid (`parameter` names it)"),
                "401": UNAUTHORISED,
                "403": FORBIDDEN,
                "404": _error("no such service or area"),
                "429": RATE_LIMITED,
            },
        }
    },
    "/api/v1/stats/compare": {
        "get": {
            "operationId": "statsCompare",
            "summary": "Every service beside the pooled target, with funnel limits and case-mix adjustment",
            "description": "SPEC section 8.1 (methodology version 2). Evaluators get unsuppressed figures for all "
            "services or an area. Commissioners get published (disclosure-controlled) figures: all services, or "
            "their own area only (another area is refused). Every call is audited.",
            "parameters": [
                _query("as_of", "count discharges and answers up to this date (default: today)", {"type": "string"}),
                _query("area", "only the services of this area (code); the target pools them", {"type": "string"}),
            ],
            "responses": {
                "200": {
                    "description": "the comparison",
                    "content": {"application/json": {"schema": _ref("Comparison")}},
                },
                "400": _error("a parameter is not valid (`parameter` names it)"),
                "401": UNAUTHORISED,
                "403": FORBIDDEN,
                "404": _error("no such area"),
                "429": RATE_LIMITED,
            },
        }
    },
    "/api/v1/stats/agreement": {
        "get": {
            "operationId": "statsAgreement",
            "summary": "Agreement between the texted outcomes and the blind telephone assessor",
            "description": "SPEC section 8.4: the 2x2 table, percent agreement, Cohen's kappa, the sensitivity "
            "and specificity of the texts and the Rogan-Gladen corrected ITT durable recovery with a seeded "
            "bootstrap interval. Evaluators get unsuppressed figures for any scope. Commissioners get published "
            "figures for their own area only, as for the summary. Every call is audited.",
            "parameters": [
                _query(
                    "as_of",
                    "count discharges, answers and interviews up to this date (default: today)",
                    {"type": "string"},
                ),
                _query("service", "only this service (code)", {"type": "string"}),
                _query("area", "only this area (code)", {"type": "string"}),
                _query("seed", "the bootstrap's seed (default 1)", {"type": "integer", "minimum": 0}),
                _query(
                    "resamples",
                    "bootstrap resamples (1-10,000, default 2,000)",
                    {"type": "integer", "minimum": 1, "maximum": 10000},
                ),
            ],
            "responses": {
                "200": {
                    "description": "the agreement figures",
                    "content": {"application/json": {"schema": _ref("Agreement")}},
                },
                "400": _error("a parameter is not valid (`parameter` names it)"),
                "401": UNAUTHORISED,
                "403": FORBIDDEN,
                "404": _error("no such service or area"),
                "429": RATE_LIMITED,
            },
        }
    },
    "/api/v1/releases": {
        "get": {
            "operationId": "listReleases",
            "summary": "Releases, newest first",
            "parameters": [
                _query("page", "page number, from 1", {"type": "integer", "minimum": 1}),
                _query("per_page", "releases per page (1-100, default 20)", {"type": "integer", "minimum": 1}),
            ],
            "responses": {
                "200": {
                    "description": "a page of releases",
                    "content": {"application/json": {"schema": _ref("ReleaseList")}},
                },
                "400": _error("a parameter is not valid"),
                "401": UNAUTHORISED,
                "403": _error("an assessor's token (blinding: no figures before the interviews)"),
                "429": RATE_LIMITED,
            },
        }
    },
    "/api/v1/releases/{release_id}": {
        "get": {
            "operationId": "getRelease",
            "summary": "One release: the exact bytes whose SHA-256 is the release's hash",
            "parameters": [
                {
                    "name": "release_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                }
            ],
            "responses": {
                "200": {
                    "description": "the released document",
                    "content": {"application/json": {"schema": _ref("Release")}},
                },
                "401": UNAUTHORISED,
                "403": _error("an assessor's token (blinding: no figures before the interviews)"),
                "404": _error("no such release"),
                "429": RATE_LIMITED,
            },
        }
    },
    "/api/v1/submissions": {
        "post": {
            "operationId": "submitDischargeList",
            "summary": "Submit a discharge list (service submitters, for their own service)",
            "description": "The same rules as `flask intake import`: all or nothing. The body is the CSV "
            "(Content-Type text/csv) or a multipart form with the file in `file`.",
            "parameters": [
                _query("dry_run", "check the list and report what would change, writing nothing", {"type": "boolean"})
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {"file": {"type": "string", "format": "binary"}},
                        }
                    },
                },
            },
            "responses": {
                "200": {
                    "description": "dry run: what would change",
                    "content": {"application/json": {"schema": _ref("SubmissionResult")}},
                },
                "201": {
                    "description": "the list was imported",
                    "content": {"application/json": {"schema": _ref("SubmissionResult")}},
                },
                "400": _error("a parameter or the request body is not valid"),
                "401": UNAUTHORISED,
                "403": FORBIDDEN,
                "413": _error("the request body is over 20 MB"),
                "415": _error("the body is neither text/csv nor multipart/form-data"),
                "422": {
                    "description": "the list was refused; nothing was written",
                    "content": {"application/json": {"schema": _ref("SubmissionProblems")}},
                },
                "429": RATE_LIMITED,
            },
        }
    },
    "/api/v1/submissions/{submission_id}/problems.csv": {
        "get": {
            "operationId": "submissionProblems",
            "summary": "Every problem of a refused (or checked) discharge list of your service, as CSV",
            "description": "Columns row, column, problem; kept 30 days after the list was sent.",
            "parameters": [{"name": "submission_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": {"description": "the problem list", "content": {"text/csv": {"schema": {"type": "string"}}}},
                "401": UNAUTHORISED,
                "403": FORBIDDEN,
                "404": _error("no refused list of your service with that number, or its list is no longer kept"),
                "429": RATE_LIMITED,
            },
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "the OpenAPI document", "content": {"application/json": {}}}},
        }
    },
}


# A release's figures are frozen as made: those made before by_disorder have none.
SCHEMAS["ReleasedSummary"] = SCHEMAS["Summary"] | {
    "description": "a summary as released, with disclosure control; releases made before `by_disorder` "
    "joined the summary have none",
    "required": [key for key in SCHEMAS["Summary"]["required"] if key != "by_disorder"],
}


def document() -> dict[str, Any]:
    """The OpenAPI document of the JSON API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Stillwell API",
            "version": "1",
            "description": "Durable-recovery statistics, releases and discharge-list submission. "
            "Authenticate with `Authorization: Bearer <token>`; tokens come from `flask tokens create` and expire "
            "(90 days unless `--days`). "
            "Errors are JSON objects with an `error` message.",
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
