-- Join with the dimension table: revenue per plan and signup year.
SELECT u.plan, extract(year FROM u.signup_date) AS signup_year, count(*) AS purchases, sum(e.amount) AS revenue
FROM events e
JOIN users u ON u.user_id = e.user_id
WHERE e.event_type = 'purchase'
GROUP BY u.plan, extract(year FROM u.signup_date)
ORDER BY revenue DESC, u.plan, signup_year;
