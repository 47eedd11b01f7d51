-- activeUsers: ARGV[4..10] the page query (see pageQuery).
return cjson.encode(page(pageQuery(4)))
