from aiokafka.partitioner import DefaultPartitioner

from bench.pipeline.companies import partition_of


def test_partition_of_is_where_the_producers_put_a_company_key() -> None:
    producers = DefaultPartitioner()
    for n in (1, 4, 7):
        parts = list(range(n))
        for company in ("cmp_demo", "cmp_0a1b2c", "x", "cmp_" + "9" * 40):
            assert partition_of(company, n) == producers(company.encode(), parts, parts)
    assert partition_of("cmp_demo", 4) == 2  # the demo company's orders all go to partition 2
