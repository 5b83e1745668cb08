"""The API's pool: PostgreSQL settings given to each of its connections."""

from __future__ import annotations

from urllib.parse import quote

from store.db import open_pool


async def test_the_pool_s_connections_carry_the_settings_given_and_the_dsn_s(database: str
                                                                              ) -> None:
    dsn = f"{database}?options={quote('-c work_mem=7MB')}"
    pool = await open_pool(dsn, max_size=1,
                           server_settings={"max_parallel_workers_per_gather": "0"})
    try:
        async with pool.connection() as conn:
            cur = await conn.execute("SELECT current_setting('max_parallel_workers_per_gather'),"
                                     " current_setting('work_mem')")
            assert await cur.fetchone() == ("0", "7MB")
    finally:
        await pool.close()
