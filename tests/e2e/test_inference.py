"""Schema inference: streams created with {"infer":true} (or auto-created) grow nullable columns
for new fields, keep every version, and still refuse wrongly typed values."""

import decimal
import json

import lagoa_harness as h

NUMERIC = {"BIGINT", "INTEGER", "DOUBLE"}


class InferenceTest(h.ServerTestCase):
    start_class_server = False

    def describe(self, s, name):
        status, desc, _ = s.json("GET", f"/v1/streams/{name}")
        self.assertEqual(status, 200, desc)
        return desc

    def latest(self, desc):
        return desc["definition"]["versions"][-1]

    def check_versions_grow(self, desc):
        versions = desc["definition"]["versions"]
        numbers = [v["version"] for v in versions]
        self.assertEqual(numbers, sorted(set(numbers)), f"versions must increase: {numbers}")
        for older, newer in zip(versions, versions[1:]):
            old_cols = [(c["name"], c["type"]) for c in older["columns"]]
            new_cols = [(c["name"], c["type"]) for c in newer["columns"]]
            self.assertEqual(new_cols[:len(old_cols)], old_cols,
                             f"version {newer['version']} must keep version {older['version']}'s columns")

    def test_new_fields_add_nullable_columns_and_wrong_types_are_rejected(self):
        data_dir = self.tmp_path("infer-data")
        s = self.start_server(data_dir=data_dir)
        status, created = s.create_stream("inf", infer=True)
        self.assertEqual(status, 201, created)

        status, reply, _ = s.post_events("inf", '{"amount_n": 1, "label_s": "x"}\n')
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (1, 0), reply)
        desc = self.describe(s, "inf")
        v1 = self.latest(desc)
        cols = {c["name"]: c for c in v1["columns"]}
        self.assertEqual(set(cols), {"amount_n", "label_s"}, v1)
        self.assertIn(cols["amount_n"]["type"], NUMERIC, v1)
        self.assertEqual(cols["label_s"]["type"], "VARCHAR", v1)
        self.assertTrue(all(c["nullable"] for c in v1["columns"]), v1)

        status, reply, _ = s.post_events("inf", '{"amount_n": 2, "label_s": "y", "flag_c": true}\n')
        self.assertEqual(status, 200, reply)
        desc = self.describe(s, "inf")
        v2 = self.latest(desc)
        self.assertGreater(v2["version"], v1["version"], "a new field must make a new schema version")
        self.assertEqual([c["name"] for c in v2["columns"]], [c["name"] for c in v1["columns"]] + ["flag_c"])
        flag = v2["columns"][-1]
        self.assertEqual((flag["type"], flag["nullable"]), ("BOOLEAN", True), flag)
        self.check_versions_grow(desc)
        status, listing, _ = s.json("GET", "/v1/streams")
        entry = {st["name"]: st for st in listing["streams"]}["inf"]
        self.assertEqual(entry["schema_version"], v2["version"], entry)

        # A known column with the wrong type is refused, naming the field; nothing is added.
        status, reply, _ = s.post_events("inf", '{"amount_n": "not a number"}\n')
        self.assertEqual(status, 400, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (0, 1), reply)
        self.assertIn("amount_n", reply["errors"][0]["error"], reply)
        status, reply, _ = s.post_events("inf", '{"flag_c": "yes"}\n')
        self.assertEqual(status, 400, reply)
        self.assertIn("flag_c", reply["errors"][0]["error"], reply)
        self.assertEqual(self.latest(self.describe(s, "inf"))["version"], v2["version"],
                         "a rejected event must not change the schema")

        # One request whose second event brings a new field: both go in, under one version.
        body = json.dumps([{"amount_n": 3}, {"amount_n": 4, "extra_d": "new"}])
        status, reply, _ = s.post_events("inf", body, "application/json")
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (2, 0), reply)
        # A new field next to a bad line: the good line's field is added, the bad line rejected.
        status, reply, _ = s.post_events("inf", '{"amount_n": 5, "fresh_e": 1.5}\n{"amount_n": "bad"}\n')
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["rejected"]), (1, 1), reply)
        self.assertEqual([e["line"] for e in reply["errors"]], [2], reply)
        status, reply, _ = s.post_events("inf", '{"amount_n": 6, "obj_g": {"x": 1, "y": [true]}}\n')
        self.assertEqual(status, 200, reply)

        desc = self.describe(s, "inf")
        self.check_versions_grow(desc)
        latest = self.latest(desc)
        names = [c["name"] for c in latest["columns"]]
        self.assertEqual(names, ["amount_n", "label_s", "flag_c", "extra_d", "fresh_e", "obj_g"], latest)
        self.assertTrue(all(c["nullable"] for c in latest["columns"]), latest)
        types = {c["name"]: c["type"] for c in latest["columns"]}
        self.assertEqual(types["extra_d"], "VARCHAR")
        self.assertEqual(types["fresh_e"], "DOUBLE")

        expected = [
            {"amount_n": 1, "label_s": "x"},
            {"amount_n": 2, "label_s": "y", "flag_c": True},
            {"amount_n": 3},
            {"amount_n": 4, "extra_d": "new"},
            {"amount_n": 5, "fresh_e": decimal.Decimal("1.5")},
            {"amount_n": 6, "obj_g": {"x": 1, "y": [True]}},
        ]
        self.check_events(s.read_events("inf"), expected, names)
        self.assertEqual([d["line"] for d in s.read_events("inf.dlq")], [1, 1, 2])

        # The schema history survives a restart, and ingestion goes on.
        code, _, killed = s.stop()
        self.assertEqual((code, killed), (0, False))
        s2 = self.start_server(data_dir=data_dir)
        self.assertEqual(self.describe(s2, "inf")["definition"], desc["definition"], "schema changed over a restart")
        status, reply, _ = s2.post_events("inf", '{"amount_n": 7, "label_s": "after"}\n')
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["first_offset"], 6, reply)
        self.check_events(s2.read_events("inf"), expected + [{"amount_n": 7, "label_s": "after"}], names)

    def check_events(self, events, expected, names):
        self.assertEqual(len(events), len(expected))
        for n, (event, want) in enumerate(zip(events, expected)):
            self.assertEqual(event["_offset"], n)
            for name in names:
                got = event.get(name)
                if isinstance(want.get(name), dict) and isinstance(got, str):
                    got = json.loads(got)  # an inferred JSON column may come back as text
                if name == "fresh_e" and got is not None:
                    got = decimal.Decimal(str(got))
                self.assertEqual(got, want.get(name), f"offset {n} field {name}: {event}")

    def test_auto_create_streams_creates_an_inferred_stream(self):
        s = self.start_server(["--auto-create-streams", "true"])
        status, reply, _ = s.post_events("auto_one", '{"k": 1, "s": "x"}\n{"k": 2, "s": "y"}\n')
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["accepted"], reply["first_offset"], reply["last_offset"]), (2, 0, 1), reply)
        desc = self.describe(s, "auto_one")
        self.assertEqual({c["name"] for c in self.latest(desc)["columns"]}, {"k", "s"})
        self.assertEqual(desc["dead_letter"]["name"], "auto_one.dlq")
        self.describe(s, "auto_one.dlq")
        status, listing, _ = s.json("GET", "/v1/streams")
        self.assertIn("auto_one", [st["name"] for st in listing["streams"]])
        self.assertEqual([(e["k"], e["s"]) for e in s.read_events("auto_one")], [(1, "x"), (2, "y")])
        status, reply, _ = s.post_events("auto_two.dlq", '{"k": 1}\n')
        self.assertEqual(status // 100, 4, f"auto-create must not create a reserved .dlq name: {reply}")
        status, listing, _ = s.json("GET", "/v1/streams")
        self.assertNotIn("auto_two.dlq", [st["name"] for st in listing["streams"]])
        self.assert_healthy(s)


if __name__ == "__main__":
    h.main()
