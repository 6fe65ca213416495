#!/bin/sh
# The WordPress import benchmark: 10,000 posts into a fresh PostgreSQL
# database, first without files, then with a featured image per post copied
# from --uploads; each archive imported twice (the second run finds every post
# unchanged). Prints the command's own report line, wall time, CPU time and
# peak memory of each run, and the load average before it (the machine may be
# shared). Figures go in docs/benchmarks.md.
#
#   bench/wordpress_import.sh [POSTS] [DATABASE]     (10000, pacforum_bench_wxr)
#   KINDS=plain bench/wordpress_import.sh             (only the run without files)
set -eu
cd "$(dirname "$0")/.."
POSTS=${1:-10000}
DB=${2:-pacforum_bench_wxr}
WORK=${BENCH_WORK:-/tmp/pacforum-bench-wxr}
PY=.venv/bin/python
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
export DEBUG=false  # Django keeps no log of every query
export SECRET_KEY="${SECRET_KEY:-$($PY -c 'import secrets; print(secrets.token_urlsafe(60))')}"
export MEDIA_ROOT="$WORK/media"
mkdir -p "$WORK"

[ -f "$WORK/plain-$POSTS.xml" ] ||
    $PY manage.py make_wxr "$WORK/plain-$POSTS.xml" --posts "$POSTS" >/dev/null
[ -f "$WORK/images-$POSTS.xml" ] ||
    $PY manage.py make_wxr "$WORK/images-$POSTS.xml" --posts "$POSTS" \
        --featured-images "$WORK/uploads-$POSTS" >/dev/null

run() {
    label=$1
    shift
    echo "== $label (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    /usr/bin/time -f "   wall %e s, CPU %U s user + %S s system, peak %M KB" \
        $PY manage.py import_wxr "$@" -v0 2>&1 | grep -E "^Imported|wall|created |unchanged |files "
}

for kind in ${KINDS:-plain images}; do
    dropdb -h 127.0.0.1 -U postgres --if-exists "$DB"
    createdb -h 127.0.0.1 -U postgres "$DB"
    $PY manage.py migrate -v0
    rm -rf "$MEDIA_ROOT"
    if [ "$kind" = plain ]; then
        run "without files, first import" "$WORK/plain-$POSTS.xml"
        run "without files, second import" "$WORK/plain-$POSTS.xml"
    else
        run "featured images, first import" "$WORK/images-$POSTS.xml" --uploads "$WORK/uploads-$POSTS"
        run "featured images, second import" "$WORK/images-$POSTS.xml" --uploads "$WORK/uploads-$POSTS"
        echo "   MEDIA: $(find "$MEDIA_ROOT" -type f | wc -l) files, $(du -sh "$MEDIA_ROOT" | cut -f1)"
    fi
done
