-- activeUsers: ARGV[4..10] the page query (see pageQuery).
return page(pageQuery(4))
