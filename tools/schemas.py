#!/usr/bin/python3
"""Response schemas of the Unipile v1 OpenAPI, and the check of answers.

  tools/schemas.py derive OPENAPI.yaml > api/response-schemas.json
      The facts the check needs, as JSON Schema: for every operation
      (keyed "METHOD /path") and documented status, the schema of its JSON
      answer, with OpenAPI 3.0's `nullable` turned into JSON Schema types
      and every description, title, example and x- extension dropped.

  tools/schemas.py check SCHEMAS.json ANSWERS.jsonl
      ANSWERS.jsonl: one JSON object per line: {operation, method, path
      (the route template), status, body}. Validates each body against the
      schema of its operation and status, prints one line per mismatch
      (operation, status, JSON path, reason) and a summary: answers valid,
      required fields present with the right type. Exit status 1 on any
      mismatch or undocumented status.

  tools/schemas.py derive-params OPENAPI.yaml > api/param-schemas.json
      The facts the reference needs about what a caller sends: for every
      operation (keyed "METHOD /path"), each parameter with its place
      ("path", "query" or "body"), whether it is required, and its schema
      (type, enum, format, pattern, bounds; descriptions dropped as above).
      A JSON body given as variants (anyOf/oneOf/allOf of objects) is merged:
      a field's schemas are united, and it is required when every variant
      requires it. A name in two places is listed in both.

Known artifacts of the published document that nothing can satisfy are
listed in api/schema-exceptions.json, each with its reason; the check
skips exactly those JSON paths.
"""
import json
import re
import sys

DROP = {"description", "title", "example", "examples", "externalDocs", "xml", "deprecated", "readOnly",
        "writeOnly"}


def convert(node):
    """OpenAPI 3.0 schema object -> JSON Schema (draft 2020-12 subset)."""
    if isinstance(node, list):
        return [convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROP or key.startswith("x-") or key == "nullable":
            continue
        if key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}
        else:
            out[key] = convert(value)
    if node.get("nullable"):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = types + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def operations(path):
    """(method, route, operation object) of every operation of the yaml."""
    import yaml
    with open(path) as f:
        doc = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for route, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, route, op


def derive(path):
    ops = {}
    for method, route, op in operations(path):
        responses = {}
        for status, resp in (op.get("responses") or {}).items():
            content = (resp.get("content") or {}).get("application/json")
            if content and "schema" in content:
                responses[str(status)] = convert(content["schema"])
            else:
                responses[str(status)] = None  # documented, no JSON body
        ops[method.upper() + " " + route] = responses
    json.dump({"source": "openapi-v1.yaml (Unipile v1), derived by tools/schemas.py", "operations": ops},
              sys.stdout, sort_keys=True, separators=(",", ":"))
    sys.stdout.write("\n")


def object_variants(schema):
    """The object schemas a body may be: anyOf/oneOf/allOf flattened."""
    subs = [s for key in ("anyOf", "oneOf", "allOf") for s in schema.get(key, [])]
    if not subs:
        return [schema]
    return [v for s in subs for v in object_variants(s)]


def body_params(schema):
    variants = object_variants(convert(schema))
    fields = {}  # name -> [schemas], in first-seen order
    for v in variants:
        for name, sub in (v.get("properties") or {}).items():
            seen = fields.setdefault(name, [])
            if sub not in seen:
                seen.append(sub)
    out = []
    for name, schemas in fields.items():
        required = all(name in (v.get("required") or []) for v in variants)
        out.append({"name": name, "in": "body", "required": required,
                    "schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}})
    return out


def derive_params(path):
    ops = {}
    for method, route, op in operations(path):
        params = [{"name": p["name"], "in": p["in"], "required": bool(p.get("required")),
                   "schema": convert(p.get("schema") or {})}
                  for p in op.get("parameters") or [] if p["in"] in ("path", "query")]
        body = None
        for content_type, content in ((op.get("requestBody") or {}).get("content") or {}).items():
            body = "multipart" if content_type.startswith("multipart/") else "json"
            params += body_params(content.get("schema") or {})
        ops[method.upper() + " " + route] = {"body": body, "params": params}
    json.dump({"source": "openapi-v1.yaml (Unipile v1), derived by tools/schemas.py derive-params",
               "operations": ops}, sys.stdout, sort_keys=True, indent=0, separators=(",", ":"))
    sys.stdout.write("\n")


def json_path(parts):
    out = "$"
    for p in parts:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


class Counter:
    """Required fields seen in answers: present with the right type, or not.
    A field on an excepted path (api/schema-exceptions.json) is not counted."""

    def __init__(self, validator_class, skip):
        self.cls = validator_class
        self.skip = skip  # skip(parts) -> True for an excepted JSON path
        self.total = 0
        self.good = 0

    def fits(self, schema, value, parts):
        """Valid but for errors on excepted paths below `parts`."""
        return all(self.skip(parts + tuple(e.absolute_path)) for e in self.cls(schema).iter_errors(value))

    def walk(self, schema, value, parts=()):
        if not isinstance(schema, dict):
            return
        for sub in schema.get("allOf", []):
            self.walk(sub, value, parts)
        for key in ("anyOf", "oneOf"):
            subs = schema.get(key)
            if subs:
                # the first variant the value matches, else the first one
                chosen = next((s for s in subs if self.cls(s).is_valid(value)), subs[0])
                self.walk(chosen, value, parts)
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", []):
                if self.skip(parts + (name,)):
                    continue
                self.total += 1
                if name in value and self.fits(props.get(name, {}), value[name], parts + (name,)):
                    self.good += 1
            for name, sub in props.items():
                if name in value:
                    self.walk(sub, value[name], parts + (name,))
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                self.walk(schema["items"], item, parts + (i,))


def load_exceptions(path):
    try:
        with open(path) as f:
            return json.load(f)["exceptions"]
    except FileNotFoundError:
        return []


def path_pattern(path):
    """An exception's JSON path, "[*]" standing for any index, as a regex of that path and below."""
    return re.compile("^" + re.escape(path).replace(re.escape("[*]"), r"\[\d+\]") + r"(?:$|[.\[])")


def excepted(exceptions, key, status, parts, validator):
    for e in exceptions:
        if e["operation"] == key and str(e.get("status", status)) == status and \
                (validator is None or e.get("validator", validator) == validator) and \
                path_pattern(e["path"]).match(json_path(parts)):
            return True
    return False


def reason(error):
    """Where and why, for a human: an anyOf/oneOf failure reports the
    variant that came closest, not the whole value."""
    import jsonschema
    while error.context:
        error = jsonschema.exceptions.best_match(error.context)
    message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
    return "%s: %s" % (json_path(error.absolute_path), message)


def check(schemas_path, answers_path, exceptions_path):
    import jsonschema
    with open(schemas_path) as f:
        ops = json.load(f)["operations"]
    exceptions = load_exceptions(exceptions_path)
    cls = jsonschema.Draft202012Validator
    counter = Counter(cls, None)
    answers = valid = undocumented = 0
    ok2xx = [0, 0]  # 2xx answers, valid ones
    problems = []
    with open(answers_path) as f:
        for line in f:
            a = json.loads(line)
            key = a["method"] + " " + a["path"]
            status = str(a["status"])
            label = "%s %s (%s)" % (a.get("operation"), status, key)
            if key not in ops:
                continue  # a row the OpenAPI lacks (NOTES.md): checked by the specs only
            if status not in ops[key]:
                if status.startswith("2"):
                    problems.append("%s: status %s is not documented for this operation" % (label, status))
                    answers += 1
                    ok2xx[0] += 1
                else:  # an error the document does not list for this operation: nothing to check it by
                    undocumented += 1
                continue
            schema = ops[key][status]
            if schema is None:
                continue
            answers += 1
            errs = [e for e in cls(schema).iter_errors(a["body"])
                    if not excepted(exceptions, key, status, list(e.absolute_path), e.validator)]
            counter.skip = lambda parts: excepted(exceptions, key, status, list(parts), None)
            counter.walk(schema, a["body"])
            ok2xx[0] += status.startswith("2")
            if not errs:
                valid += 1
                ok2xx[1] += status.startswith("2")
            for e in sorted(errs, key=lambda e: list(map(str, e.absolute_path)))[:8]:
                problems.append("%s: %s" % (label, reason(e)))
    for p in problems:
        print(p)
    pct = 100.0 * counter.good / counter.total if counter.total else 100.0
    print("schemas: %d of %d JSON answers valid (2xx: %d of %d); %d of %d required fields present with the right"
          " type (%.1f%%); %d error answers with a status not documented for their operation"
          % (valid, answers, ok2xx[1], ok2xx[0], counter.good, counter.total, pct, undocumented))
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "derive":
        derive(argv[2])
        return 0
    if len(argv) >= 3 and argv[1] == "derive-params":
        derive_params(argv[2])
        return 0
    if len(argv) >= 4 and argv[1] == "check":
        exceptions = argv[4] if len(argv) > 4 else "api/schema-exceptions.json"
        return check(argv[2], argv[3], exceptions)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
