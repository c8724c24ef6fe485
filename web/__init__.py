"""The parindex web portal: units, appraisers and the Home Affairs office run the assessment in a browser."""
