-- docs/order-contract.md §3.4 for xmlagg, apart because it needs a server built with libxml
-- (expected/xml_aggregates_1.out and _2.out are the outputs of servers without it).
LOAD 'unorder_rows';
CREATE TABLE xml_items AS SELECT g AS id FROM generate_series(1, 10) g;
SELECT runs, every_run_changed FROM perturbed('SELECT xmlagg(xmlelement(name e, id)) FROM xml_items');
SELECT * FROM preserved('SELECT xmlagg(xmlelement(name e, id) ORDER BY id) FROM xml_items');
DROP TABLE xml_items;
