"""Schemas, views and macros made with SQL survive a SIGKILL of the real server, over HTTP and psql:
before, `CREATE VIEW` answered OK and the view was gone after a restart."""
import json
import unittest

import lagoa_harness as h
from test_sql import psql, sql


class SqlObjectsSurviveTest(h.ServerTestCase):
    start_class_server = False

    def rows(self, server, text):
        status, body, _ = sql(server, text)
        self.assertEqual(status, 200, f"{text}: {body}")
        return json.loads(body)["rows"]

    def test_views_and_macros_made_before_a_sigkill_answer_after_it(self):
        s = self.start_server(["--lake-load-interval-ms", "-1"])
        s.create_stream("clicks", "user_id BIGINT, url VARCHAR")
        status, reply, _ = s.post_events("clicks", '{"user_id": 1, "url": "/a"}\n{"user_id": 2, "url": "/b"}\n')
        self.assertEqual(status, 200, reply)
        self.rows(s, "CREATE SCHEMA marts")
        self.rows(s, "CREATE MACRO page(u) AS 'page ' || u")
        self.rows(s, "CREATE VIEW marts.pages AS SELECT page(url) AS p, count(*) AS n FROM clicks GROUP BY 1")
        r = psql(s, "CREATE MACRO doubled(x) AS 2 * x")
        self.assertEqual(r.returncode, 0, r.stderr)
        s.kill()
        s.start()
        status, reply, _ = s.post_events("clicks", '{"user_id": 3, "url": "/a"}\n')
        self.assertEqual(status, 200, reply)
        self.assertEqual(self.rows(s, "SELECT p, n FROM marts.pages ORDER BY p"), [["page /a", 2], ["page /b", 1]])
        r = psql(s, "SELECT doubled(21)")
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "42"), r.stderr)
        self.rows(s, "DROP VIEW marts.pages")
        s.kill()
        s.start()
        status, body, _ = sql(s, "SELECT * FROM marts.pages")
        self.assertEqual(status, 400, body)
        self.assertIn("does not exist", body)


if __name__ == "__main__":
    unittest.main()
