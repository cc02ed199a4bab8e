DROP TABLE trust_clients;
DROP TABLE ppt_clients;
DROP TABLE cgt_clients;
