"""The App's imperative shell: fetch a pull request, review it, publish the result."""
